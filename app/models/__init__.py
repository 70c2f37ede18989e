"""Table models. Every module is imported here so Alembic sees the whole schema."""

from app.models.auth import AuthSession
from app.models.base import metadata
from app.models.users import Role, Student, Teacher, User

__all__ = ["AuthSession", "Role", "Student", "Teacher", "User", "metadata"]
