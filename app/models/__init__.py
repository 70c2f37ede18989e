"""Table models. Every module is imported here so Alembic sees the whole schema."""

from app.models.auth import AuditEvent, AuthSession, PasswordResetToken
from app.models.base import metadata
from app.models.lms import (
    AssignmentAttempt,
    Folder,
    Lesson,
    LessonAssignment,
    LessonVersion,
    Media,
    ScoreOverride,
    StudentGroup,
    StudentGroupMember,
)
from app.models.users import Role, Student, Teacher, User

__all__ = [
    "AssignmentAttempt",
    "AuditEvent",
    "AuthSession",
    "Folder",
    "Lesson",
    "LessonAssignment",
    "LessonVersion",
    "Media",
    "PasswordResetToken",
    "Role",
    "ScoreOverride",
    "Student",
    "StudentGroup",
    "StudentGroupMember",
    "Teacher",
    "User",
    "metadata",
]
