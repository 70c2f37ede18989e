"""A teacher's students: only the teacher creates, lists, edits and deactivates them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.actor import Actor
from app.core.config import Settings
from app.core.errors import NotFound
from app.core.i18n import N_
from app.models.users import Role, Student, User
from app.schemas.users import StudentCreate, StudentRead, StudentUpdate, TeacherRead
from app.services import accounts
from app.services.paging import fetch_page
from app.services.scoping import require_role, scoped, tenant_id


def _read(student: Student, user: User) -> StudentRead:
    return StudentRead.model_validate(
        {
            **user.model_dump(),
            "id": student.id,
            "user_id": user.id,
            "teacher_id": student.teacher_id,
        }
    )


async def create_student(
    session: AsyncSession, actor: Actor, settings: Settings, data: StudentCreate
) -> StudentRead:
    """Create a student (account and profile) in the teacher's own tenant. Teacher only."""
    require_role(actor, Role.TEACHER)
    teacher_id = tenant_id(actor)
    user = await accounts.create_user(
        session, settings, data, role=Role.STUDENT, teacher_id=teacher_id
    )
    student = Student(teacher_id=teacher_id, user_id=user.id)
    session.add(student)
    await session.flush()
    return _read(student, user)


def _with_account(actor: Actor):
    return scoped(
        select(Student, User).join(User, col(User.id) == col(Student.user_id)), Student, actor
    )


async def list_students(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    search: str | None = None,
    include_inactive: bool = True,
) -> tuple[list[StudentRead], int]:
    """The teacher's students by surname, name, id."""
    require_role(actor, Role.TEACHER)
    stmt = _with_account(actor)
    if not include_inactive:
        stmt = stmt.where(col(User.is_active))
    if search:
        pattern = f"%{search.strip().lower()}%"
        stmt = stmt.where(
            func.lower(User.email).like(pattern)
            | func.lower(User.name).like(pattern)
            | func.lower(User.surname).like(pattern)
        )
    rows, total = await fetch_page(
        session,
        stmt.order_by(col(User.surname), col(User.name), col(Student.id)),
        limit=limit,
        offset=offset,
    )
    return [_read(student, user) for student, user in rows], total


async def _get(session: AsyncSession, actor: Actor, student_id: int) -> tuple[Student, User]:
    row = (await session.execute(_with_account(actor).where(Student.id == student_id))).first()
    if row is None:
        raise NotFound(N_("Student not found"))
    return row[0], row[1]


async def get_student(session: AsyncSession, actor: Actor, student_id: int) -> StudentRead:
    """One of the teacher's students; another teacher's student is NotFound, like a missing one."""
    require_role(actor, Role.TEACHER)
    return _read(*await _get(session, actor, student_id))


async def update_student(
    session: AsyncSession, actor: Actor, settings: Settings, student_id: int, data: StudentUpdate
) -> StudentRead:
    require_role(actor, Role.TEACHER)
    student, user = await _get(session, actor, student_id)
    await accounts.update_user(session, settings, user, data)
    return _read(student, user)


async def deactivate_student(session: AsyncSession, actor: Actor, student_id: int) -> StudentRead:
    """Deactivate (never delete: their work stays); their sessions stop working at once."""
    require_role(actor, Role.TEACHER)
    student, user = await _get(session, actor, student_id)
    user.is_active = False
    session.add(user)
    await session.flush()
    return _read(student, user)


async def get_own_profile(session: AsyncSession, actor: Actor) -> tuple[StudentRead, TeacherRead]:
    """A student's own profile and their teacher, for the student's dashboard."""
    require_role(actor, Role.STUDENT)
    row = (
        await session.execute(
            select(Student, User)
            .join(User, col(User.id) == col(Student.user_id))
            .where(
                col(Student.user_id) == actor.user_id, col(Student.teacher_id) == tenant_id(actor)
            )
        )
    ).first()
    if row is None:
        raise NotFound(N_("Student not found"))
    teacher = await session.get(User, tenant_id(actor))
    if teacher is None:
        raise NotFound(N_("Teacher not found"))
    return _read(row[0], row[1]), TeacherRead.model_validate(teacher.model_dump())
