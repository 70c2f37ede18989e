"""The assign dialog: give a lesson to students and groups, and see who has it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.api.deps import IdPath, SessionDep, TeacherActor
from app.api.forms import ContextLoader, form_ids, redirect_on_error, rerender_on_error
from app.api.templating import redirect_with_flash, render, tr
from app.core.actor import Actor
from app.core.clock import wall_time_in
from app.core.errors import AppError, InvalidInput
from app.core.i18n import N_
from app.schemas.lms import AssignRequest, DueDateChange
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


def _is_past_due(error: Exception) -> bool:
    return isinstance(error, InvalidInput) and error.message == assigning_service.PAST_DUE


def _assign_context_loader(actor: Actor, lesson_id: int, form: str = "assign") -> ContextLoader:
    """The page again after a refusal; a past due date makes `form` ask for confirmation."""

    async def load(session: AsyncSession, error: Exception) -> dict[str, Any]:
        context = await _assign_context(session, actor, lesson_id)
        return {**context, "confirm_past": form if _is_past_due(error) else None}

    return load


@router.get("", response_class=HTMLResponse)
async def assign_page(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Pick students and groups and a due date; below, who has the lesson and their progress."""
    context = await _assign_context(session, actor, lesson_id)
    return render(request, ASSIGN, {**context, "errors": {}, "values": {}, "confirm_past": None})


def _due_at(value: str, timezone: str) -> datetime | None:
    """A `datetime-local` value is the teacher's wall time, in the teacher's time zone."""
    if not value:
        return None
    try:
        return wall_time_in(datetime.fromisoformat(value), timezone)
    except ValueError as error:
        raise InvalidInput(N_("Enter a date and time"), field="due_at") from error


def _assign_values(form: FormData) -> dict[str, Any]:
    """What the assign form shows again after a refusal: the date, the boxes ticked."""
    return {
        "due_at": str(form.get("due_at") or ""),
        "student_ids": [str(value) for value in form.getlist("student_ids")],
        "group_ids": [str(value) for value in form.getlist("group_ids")],
        "update_due_at": form.get("update_due_at") == "on",
    }


@router.post("", response_class=HTMLResponse)
async def assign_submit(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Assign the lesson to the chosen students and groups; a past due date is shown back
    with a warning and assigned only once the teacher confirms it."""
    form = await request.form()
    rerender_on_error(
        request,
        ASSIGN,
        values=_assign_values(form),
        context=_assign_context_loader(actor, lesson_id),
        invalid=CHOOSE_TARGETS,
    )
    me = await account_service.get_me(session, actor)
    data = AssignRequest(
        lesson_id=lesson_id,
        student_ids=form_ids(form, "student_ids", message=CHOOSE_TARGETS),
        group_ids=form_ids(form, "group_ids", message=CHOOSE_TARGETS),
        due_at=_due_at(str(form.get("due_at") or ""), me.timezone),
        allow_past=form.get("allow_past") == "on",
        update_due_at=form.get("update_due_at") == "on",
    )
    result = await assigning_service.assign(session, actor, data)
    message = tr(request, "Assigned: {created} new, {already} already had it").format(
        created=result.created, already=result.already_assigned
    )
    if result.due_updated:
        message += " " + tr(request, "Due date changed for {count} of them.").format(
            count=result.due_updated
        )
    if result.due_kept:
        message += " " + tr(
            request,
            "{count} of them keep their earlier due date: change it below, or assign again"
            " with “also change the due date”.",
        ).format(count=result.due_kept)
    return redirect_with_flash(request, f"/lessons/{lesson_id}/assign", message)


def _change_due_errors(error: Exception, language: str) -> dict[str, str]:
    """The due-date form's fields are named apart from the assign form's."""
    assert isinstance(error, AppError)
    field = {"due_at": "change_due_at"}.get(error.field or "", "change_due_at")
    return {field: error.text(language)}


@router.post("/due-date", response_class=HTMLResponse)
async def change_due_date_submit(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Change the due date for everyone who has the lesson, or for one student."""
    form = await request.form()
    target = str(form.get("target") or "")
    rerender_on_error(
        request,
        ASSIGN,
        values={
            "change_due_at": str(form.get("due_at") or ""),
            "target": target,
        },
        context=_assign_context_loader(actor, lesson_id, form="change"),
        errors=_change_due_errors,
    )
    me = await account_service.get_me(session, actor)
    data = DueDateChange(
        due_at=_due_at(str(form.get("due_at") or ""), me.timezone),
        allow_past=form.get("allow_past") == "on",
    )
    if target == "all":
        changed = await assigning_service.change_due_date(session, actor, data, lesson_id=lesson_id)
        message = tr(request, "Due date changed for everyone ({count})").format(
            count=changed.updated
        )
    else:
        await assigning_service.change_due_date(
            session, actor, data, lesson_id=lesson_id, assignment_id=_assignment_id(target)
        )
        message = tr(request, "Due date changed")
    return redirect_with_flash(request, f"/lessons/{lesson_id}/assign", message)


def _assignment_id(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput(N_("Choose from the list"), field="target")
    return int(value)


@router.post("/{assignment_id}/unassign")
async def unassign_submit(
    request: Request,
    lesson_id: IdPath,
    assignment_id: IdPath,
    actor: TeacherActor,
    session: SessionDep,
) -> Response:
    """Take the lesson back from one student (refused once they handed in work)."""
    redirect_on_error(request, f"/lessons/{lesson_id}/assign")
    await assigning_service.unassign(session, actor, assignment_id, lesson_id=lesson_id)
    return redirect_with_flash(
        request, f"/lessons/{lesson_id}/assign", tr(request, "The lesson was taken back")
    )
