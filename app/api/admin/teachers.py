"""Teachers, managed by a Superuser."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import (
    ClientDep,
    IdPath,
    PaginationDep,
    SearchQuery,
    SessionDep,
    SettingsDep,
    SuperuserActor,
)
from app.schemas.accounts import OneTimePasswordRead, TeacherCreate, TeacherRead, TeacherUpdate
from app.schemas.common import Page
from app.services.admin import teachers as teacher_service

router = APIRouter(prefix="/teachers", tags=["admin"])


@router.get("", response_model=Page[TeacherRead])
async def list_teachers(
    actor: SuperuserActor, session: SessionDep, page: PaginationDep, q: SearchQuery = None
) -> Page[TeacherRead]:
    """All teachers, by surname and name, with their active student counts."""
    items, total = await teacher_service.list_teachers(
        session, actor, limit=page.limit, offset=page.offset, search=q
    )
    return Page[TeacherRead].build(items, total, page)


@router.post("", response_model=TeacherRead, status_code=status.HTTP_201_CREATED)
async def create_teacher(
    body: TeacherCreate, actor: SuperuserActor, session: SessionDep, settings: SettingsDep
) -> TeacherRead:
    """Create a teacher (a new tenant). 409 if the e-mail is taken."""
    return await teacher_service.create_teacher(session, actor, settings, body)


@router.get("/{teacher_id}", response_model=TeacherRead)
async def get_teacher(
    teacher_id: IdPath, actor: SuperuserActor, session: SessionDep
) -> TeacherRead:
    """One teacher."""
    return await teacher_service.get_teacher(session, actor, teacher_id)


@router.patch("/{teacher_id}", response_model=TeacherRead)
async def update_teacher(
    teacher_id: IdPath,
    body: TeacherUpdate,
    actor: SuperuserActor,
    session: SessionDep,
    settings: SettingsDep,
) -> TeacherRead:
    """Edit a teacher; `is_active: false` deactivates them (and their students' logins)."""
    return await teacher_service.update_teacher(session, actor, settings, teacher_id, body)


@router.post("/{teacher_id}/one-time-password", response_model=OneTimePasswordRead)
async def issue_teacher_one_time_password(
    teacher_id: IdPath,
    actor: SuperuserActor,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    response: Response,
) -> OneTimePasswordRead:
    """A new one-time password for the teacher, shown only in this answer: their logins end,
    and after logging in with it they must choose their own before anything else opens."""
    response.headers["cache-control"] = "no-store"
    return await teacher_service.issue_one_time_password(
        session, actor, settings, teacher_id, client=client
    )
