"""A teacher's students."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import (
    ClientDep,
    IdPath,
    PaginationDep,
    SearchQuery,
    SessionDep,
    SettingsDep,
    TeacherActor,
)
from app.schemas.accounts import (
    OneTimePasswordRead,
    StudentCreate,
    StudentListItem,
    StudentRead,
    StudentUpdate,
)
from app.schemas.common import Page
from app.services.accounts import students as student_service

router = APIRouter(prefix="/students", tags=["students"])


@router.get("", response_model=Page[StudentListItem])
async def list_students(
    actor: TeacherActor, session: SessionDep, page: PaginationDep, q: SearchQuery = None
) -> Page[StudentListItem]:
    """The teacher's own students, by surname and name, each with their progress (assigned,
    completed, overdue, average score)."""
    items, total = await student_service.list_students_with_progress(
        session, actor, limit=page.limit, offset=page.offset, search=q
    )
    return Page[StudentListItem].build(items, total, page)


@router.post("", response_model=StudentRead, status_code=status.HTTP_201_CREATED)
async def create_student(
    body: StudentCreate, actor: TeacherActor, session: SessionDep, settings: SettingsDep
) -> StudentRead:
    """Create a student of the signed-in teacher. 409 if the e-mail is taken."""
    return await student_service.create_student(session, actor, settings, body)


@router.get("/{student_id}", response_model=StudentRead)
async def get_student(student_id: IdPath, actor: TeacherActor, session: SessionDep) -> StudentRead:
    """One of the teacher's students (404 for anyone else's)."""
    return await student_service.get_student(session, actor, student_id)


@router.patch("/{student_id}", response_model=StudentRead)
async def update_student(
    student_id: IdPath,
    body: StudentUpdate,
    actor: TeacherActor,
    session: SessionDep,
    settings: SettingsDep,
) -> StudentRead:
    """Edit a student; `is_active` switches their login on or off."""
    return await student_service.update_student(session, actor, settings, student_id, body)


@router.delete("/{student_id}", response_model=StudentRead)
async def deactivate_student(
    student_id: IdPath, actor: TeacherActor, session: SessionDep
) -> StudentRead:
    """Deactivate a student: they can no longer log in; their work is kept."""
    return await student_service.deactivate_student(session, actor, student_id)


@router.post("/{student_id}/one-time-password", response_model=OneTimePasswordRead)
async def issue_student_one_time_password(
    student_id: IdPath,
    actor: TeacherActor,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    response: Response,
) -> OneTimePasswordRead:
    """A new one-time password for the student, shown only in this answer: their logins end,
    and after logging in with it they must choose their own before anything else opens."""
    response.headers["cache-control"] = "no-store"
    return await student_service.issue_one_time_password(
        session, actor, settings, student_id, client=client
    )
