"""The assign dialog: give a lesson to students and groups, and see who has it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import IdPath, SessionDep, TeacherActor
from app.api.forms import ContextLoader, form_ids, rerender_on_error
from app.api.templating import redirect_with_flash, render, tr
from app.core.actor import Actor
from app.core.clock import wall_time_in
from app.core.errors import InvalidInput
from app.core.i18n import N_
from app.schemas.lms import AssignRequest
from app.services.accounts import students as student_service
from app.services.accounts import users as account_service
from app.services.lms import assigning as assigning_service
from app.services.lms import assignments as assignment_service
from app.services.lms import groups as group_service
from app.services.lms import lessons as lesson_service

router = APIRouter(prefix="/lessons/{lesson_id}/assign")
ASSIGN = "lms/assign.html"
ALL_STUDENTS = 500
CHOOSE_TARGETS = N_("Choose students or groups from the list")


async def _assign_context(session: AsyncSession, actor: Actor, lesson_id: int) -> dict[str, Any]:
    lesson = await lesson_service.get_lesson(session, actor, lesson_id)
    students, _ = await student_service.list_students(
        session, actor, limit=ALL_STUDENTS, offset=0, include_inactive=False
    )
    groups = await group_service.list_groups(session, actor)
    assigned, _ = await assignment_service.list_assignments(
        session, actor, limit=ALL_STUDENTS, offset=0, lesson_id=lesson_id
    )
    zone = await account_service.viewer_zone(session, actor)
    return {
        "lesson": lesson,
        "students": students,
        "groups": groups,
        "assigned": assigned,
        "zone": zone,
    }


def _assign_context_loader(actor: Actor, lesson_id: int) -> ContextLoader:
    async def load(session: AsyncSession, error: Exception) -> dict[str, Any]:
        return await _assign_context(session, actor, lesson_id)

    return load


@router.get("", response_class=HTMLResponse)
async def assign_page(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Pick students and groups and a due date; below, who has the lesson and their progress."""
    context = await _assign_context(session, actor, lesson_id)
    return render(request, ASSIGN, {**context, "errors": {}, "values": {}})


def _due_at(value: str, timezone: str) -> datetime | None:
    """A `datetime-local` value is the teacher's wall time, in the teacher's time zone."""
    if not value:
        return None
    try:
        return wall_time_in(datetime.fromisoformat(value), timezone)
    except ValueError as error:
        raise InvalidInput(N_("Enter a date and time"), field="due_at") from error


@router.post("", response_class=HTMLResponse)
async def assign_submit(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Assign the lesson to the chosen students and groups."""
    form = await request.form()
    rerender_on_error(
        request,
        ASSIGN,
        values={"due_at": str(form.get("due_at") or "")},
        context=_assign_context_loader(actor, lesson_id),
        invalid=CHOOSE_TARGETS,
    )
    me = await account_service.get_me(session, actor)
    data = AssignRequest(
        lesson_id=lesson_id,
        student_ids=form_ids(form, "student_ids", message=CHOOSE_TARGETS),
        group_ids=form_ids(form, "group_ids", message=CHOOSE_TARGETS),
        due_at=_due_at(str(form.get("due_at") or ""), me.timezone),
    )
    result = await assigning_service.assign(session, actor, data)
    message = tr(request, "Assigned: {created} new, {already} already had it").format(
        created=result.created, already=result.already_assigned
    )
    return redirect_with_flash(request, f"/lessons/{lesson_id}/assign", message)
