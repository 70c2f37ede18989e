"""Teachers (tenants): created, listed and edited by a Superuser only."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor, ClientInfo
from app.core.config import Settings
from app.core.errors import NotFound
from app.core.i18n import N_
from app.models.users import Role, Teacher, User
from app.schemas.accounts import OneTimePasswordRead, TeacherCreate, TeacherRead, TeacherUpdate
from app.services.accounts import passwords as password_service
from app.services.accounts import users as accounts
from app.services.admin import repository
from app.services.paging import fetch_page
from app.services.scoping import require_role


def _read(user: User, student_count: int = 0) -> TeacherRead:
    return TeacherRead.model_validate({**user.model_dump(), "student_count": student_count})


async def create_teacher(
    session: AsyncSession, actor: Actor, settings: Settings, data: TeacherCreate
) -> TeacherRead:
    """Create a teacher's account and tenant. Superuser only; a taken e-mail is a Conflict."""
    require_role(actor, Role.SUPERUSER)
    user = await accounts.create_user(session, settings, data, role=Role.TEACHER, teacher_id=None)
    assert user.id is not None
    session.add(Teacher(id=user.id))
    await session.flush()
    return _read(user)


async def list_teachers(
    session: AsyncSession, actor: Actor, *, limit: int, offset: int, search: str | None = None
) -> tuple[list[TeacherRead], int]:
    """Teachers by surname, name, id, with the number of active students each has."""
    require_role(actor, Role.SUPERUSER)
    rows, total = await fetch_page(
        session, repository.teacher_list(search), limit=limit, offset=offset
    )
    return [_read(user, count) for user, count, _total in rows], total


async def _get_teacher_user(session: AsyncSession, teacher_id: int) -> User:
    user = await session.get(User, teacher_id)
    if user is None or user.role != Role.TEACHER.value:
        raise NotFound(N_("Teacher not found"))
    return user


async def get_teacher(session: AsyncSession, actor: Actor, teacher_id: int) -> TeacherRead:
    require_role(actor, Role.SUPERUSER)
    user = await _get_teacher_user(session, teacher_id)
    count = await session.scalar(repository.active_student_count(teacher_id))
    return _read(user, int(count or 0))


async def update_teacher(
    session: AsyncSession, actor: Actor, settings: Settings, teacher_id: int, data: TeacherUpdate
) -> TeacherRead:
    """Edit or (de)activate a teacher; deactivating ends their and their students' logins for
    good, a new password ends the teacher's."""
    require_role(actor, Role.SUPERUSER)
    user = await _get_teacher_user(session, teacher_id)
    await accounts.update_user(session, settings, user, data, actor=actor)
    return await get_teacher(session, actor, teacher_id)


async def issue_one_time_password(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    teacher_id: int,
    *,
    client: ClientInfo,
) -> OneTimePasswordRead:
    """A new one-time password for a teacher; their logins end and their next one must choose a
    password of their own (their students' logins are not touched). Superuser only."""
    require_role(actor, Role.SUPERUSER)
    user = await _get_teacher_user(session, teacher_id)
    password = await password_service.issue_one_time_password(
        session, settings, user, actor=actor, client=client
    )
    return OneTimePasswordRead(password=password)
