"""A teacher's students: only the teacher creates, lists, edits and deactivates them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor, ClientInfo
from app.core.config import Settings
from app.core.errors import NotFound
from app.core.i18n import N_
from app.models.users import Role, Student, User
from app.schemas.accounts import (
    OneTimePasswordRead,
    StudentCreate,
    StudentListItem,
    StudentRead,
    StudentUpdate,
    TeacherRead,
)
from app.services.accounts import passwords as password_service
from app.services.accounts import repository
from app.services.accounts import users as accounts
from app.services.lms.progress import progress_of
from app.services.paging import fetch_page
from app.services.scoping import require_role, tenant_id, tenant_params


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


async def _student_page(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    search: str | None,
    include_inactive: bool = True,
) -> tuple[list[Any], int]:
    require_role(actor, Role.TEACHER)
    params = tenant_params(actor)
    if search:
        params["pattern"] = f"%{search.strip().lower()}%"
    stmt = repository.student_list_statement(bool(search), include_inactive)
    return await fetch_page(session, stmt, params, limit=limit, offset=offset)


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
    rows, total = await _student_page(
        session,
        actor,
        limit=limit,
        offset=offset,
        search=search,
        include_inactive=include_inactive,
    )
    return [StudentRead.model_validate(row._mapping) for row in rows], total


async def list_students_with_progress(
    session: AsyncSession, actor: Actor, *, limit: int, offset: int, search: str | None = None
) -> tuple[list[StudentListItem], int]:
    """The student list with each student's progress (one more query for the whole page)."""
    rows, total = await _student_page(session, actor, limit=limit, offset=offset, search=search)
    progress = await progress_of(session, actor, [row.id for row in rows])
    items = [
        StudentListItem.model_validate({**row._mapping, "progress": progress[row.id]})
        for row in rows
    ]
    return items, total


async def _get(session: AsyncSession, actor: Actor, student_id: int) -> tuple[Student, User]:
    row = (await session.execute(repository.student_with_account(actor, student_id))).first()
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
    """Deactivate (never delete: their work stays); their logins end for good at once."""
    require_role(actor, Role.TEACHER)
    student, user = await _get(session, actor, student_id)
    await accounts.set_active(session, user, False, actor=actor)
    return _read(student, user)


async def get_own_profile(session: AsyncSession, actor: Actor) -> tuple[StudentRead, TeacherRead]:
    """A student's own profile and their teacher, for the student's dashboard."""
    require_role(actor, Role.STUDENT)
    params = tenant_params(actor, user_id=actor.user_id)
    row = (await session.execute(repository.OWN_PROFILE, params)).first()
    if row is None:
        raise NotFound(N_("Student not found"))
    teacher = await session.get(User, tenant_id(actor))
    if teacher is None:
        raise NotFound(N_("Teacher not found"))
    return _read(row[0], row[1]), TeacherRead.model_validate(teacher.model_dump())


async def issue_one_time_password(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    student_id: int,
    *,
    client: ClientInfo,
) -> OneTimePasswordRead:
    """A new one-time password for one of the teacher's students (another teacher's student is
    NotFound, like a missing one); the student's logins end and their next one must choose a
    password of their own. Teacher only."""
    require_role(actor, Role.TEACHER)
    _student, user = await _get(session, actor, student_id)
    password = await password_service.issue_one_time_password(
        session, settings, user, actor=actor, client=client
    )
    return OneTimePasswordRead(password=password)
