"""The platform administrator's statements. A superuser has no tenant of their own: the
statements that touch tenant tables name the tenant they look at (`belongs_to`) or group by it.
Private to the admin feature."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlmodel import col

from app.models.users import Role, Student, User
from app.services.scoping import belongs_to


def teacher_list(search: str | None) -> Select:
    """(User, active student count) of every teacher by surname, name, id; `search` matches
    the e-mail, name or surname."""
    per_teacher = (
        select(col(Student.teacher_id), func.count().label("n"))
        .join(User, col(User.id) == col(Student.user_id))
        .where(col(User.is_active))
        .group_by(col(Student.teacher_id))
        .subquery()
    )
    condition = col(User.role) == Role.TEACHER.value
    if search:
        pattern = f"%{search.strip().lower()}%"
        condition = condition & (
            func.lower(User.email).like(pattern)
            | func.lower(User.name).like(pattern)
            | func.lower(User.surname).like(pattern)
        )
    return (
        select(User, func.coalesce(per_teacher.c.n, 0))
        .outerjoin(per_teacher, belongs_to(per_teacher, col(User.id)))
        .where(condition)
        .order_by(col(User.surname), col(User.name), col(User.id))
    )


def active_student_count(teacher_id: int) -> Select:
    """How many active students one teacher has."""
    return (
        select(func.count())
        .select_from(Student)
        .join(User, col(User.id) == col(Student.user_id))
        .where(belongs_to(Student, teacher_id), col(User.is_active))
    )
