"""The student's lesson player: answer, autosave, submit, start another attempt."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.api.deps import IdPath, SessionDep, StudentActor
from app.api.forms import ContextLoader, redirect_on_error, rerender_on_error
from app.api.templating import redirect_with_flash, render, tr
from app.core.actor import Actor
from app.core.clock import now_utc
from app.core.i18n import N_
from app.schemas.lms import AssignmentStudentView, SaveProgress, SubmitRequest
from app.schemas.lms.blocks import QUESTIONS, form_position, form_text
from app.services.accounts import users as account_service
from app.services.lms import assignments as assignment_service
from app.services.lms import student_work

router = APIRouter(prefix="/assignments")
PLAYER = "lms/player.html"
OPEN = ("assigned", "in_progress")
# Time between two autosaves counts as work only up to this: an idle tab is not studying.
MAX_SECONDS_BETWEEN_SAVES = 600
NOT_SAVED = N_("Your answers could not be saved: they are too long")
SAVED = N_("Saved")
SUBMITTED = N_("Submitted: the teacher will check your answers")
SUBMITTED_AND_GRADED = N_("Submitted and graded")
NEW_ATTEMPT = N_("A new attempt has begun")
NO_RETRY = N_("No new attempt can be started for this lesson now")
NEW_ATTEMPT_PAGE = "lms/new_attempt.html"
ATTEMPT_PAGE = "lms/attempt.html"


def _url(assignment_id: int) -> str:
    return f"/assignments/{assignment_id}"


# --- the one form parser


def parse_answers(form: FormData, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """The player form as the answers dict the services store and grade (each question type
    reads its own fields: `parse_answer` in its module under `app.schemas.lms.blocks`).

    Every question on the page gets an entry; a blank one is None, so clearing an input clears
    the saved answer instead of leaving the old one behind. Values that are not among the
    question's options are dropped.
    """
    return {
        block["id"]: QUESTIONS[block["type"]].parse_answer(block, form)
        for block in blocks
        if block["type"] in QUESTIONS
    }


def _seconds(form: FormData) -> int:
    seconds = form_position(form_text(form, "time_spent_seconds")) or 0
    return max(0, min(seconds, MAX_SECONDS_BETWEEN_SAVES))


def _attempt_no(form: FormData) -> int | None:
    number = form_position(form_text(form, "attempt_no"))
    return number if number is not None and 1 <= number <= 1000 else None


# --- pages


def _player_context(view: AssignmentStudentView, zone: ZoneInfo) -> dict[str, Any]:
    limit = view.attempt_limit
    deadline = None
    if view.time_limit_minutes and view.started_at:
        deadline = view.started_at + timedelta(minutes=view.time_limit_minutes)
    return {
        "view": view,
        "zone": zone,
        "editable": view.status in OPEN,
        # Only after grading: the teacher grades the latest attempt.
        "can_retry": view.status == "graded" and (limit is None or view.attempts_used < limit),
        "deadline": deadline,
        "time_is_up": view.status in OPEN and deadline is not None and deadline < now_utc(),
        # player.js counts down from the server's clock, not the student's (which may be off).
        "server_now": now_utc(),
        "results": {result.block_id: result for result in view.results or []},
        "revealed": {block["id"]: block for block in view.revealed or []},
    }


def _typed_answers_context(
    actor: Actor, assignment_id: int, answers: dict[str, Any] | None
) -> ContextLoader:
    """The player as it is now, with the answers the failed submit sent still in their inputs."""

    async def load(session: AsyncSession, error: Exception) -> dict[str, Any]:
        view = await assignment_service.get_for_student(session, actor, assignment_id)
        zone = await account_service.viewer_zone(session, actor)
        if answers is not None:
            view = view.model_copy(update={"answers": {**view.answers, **answers}})
        return _player_context(view, zone)

    return load


@router.get("/{assignment_id}", response_class=HTMLResponse)
async def player_page(
    request: Request, assignment_id: IdPath, actor: StudentActor, session: SessionDep
) -> Response:
    """The lesson with the student's saved answers; the result once submitted."""
    view = await assignment_service.get_for_student(session, actor, assignment_id)
    zone = await account_service.viewer_zone(session, actor)
    return render(request, PLAYER, _player_context(view, zone))


@router.post("/{assignment_id}/save")
async def save_progress_submit(
    request: Request, assignment_id: IdPath, actor: StudentActor, session: SessionDep
) -> Response:
    """Save the answers so far: the Save button (303 back) or player.js (204)."""
    by_script = request.headers.get("x-requested-with") == "fetch"
    redirect_on_error(request, _url(assignment_id), invalid=NOT_SAVED, plain_text=by_script)
    view = await assignment_service.get_for_student(
        session, actor, assignment_id, with_history=False
    )
    form = await request.form()
    data = SaveProgress(
        answers=parse_answers(form, view.blocks),
        # The whole lesson is on this one page.
        blocks_viewed=[block["id"] for block in view.blocks],
        time_spent_seconds=_seconds(form),
    )
    await student_work.save_progress(session, actor, assignment_id, data)
    if by_script:
        return Response(status_code=204)
    return redirect_with_flash(request, _url(assignment_id), tr(request, SAVED))


@router.post("/{assignment_id}/submit")
async def submit_assignment_submit(
    request: Request, assignment_id: IdPath, actor: StudentActor, session: SessionDep
) -> Response:
    """Submit the attempt named in the form; a second click finds it submitted and counts
    nothing twice."""
    redirect_on_error(request, _url(assignment_id), invalid=NOT_SAVED)
    view = await assignment_service.get_for_student(
        session, actor, assignment_id, with_history=False
    )
    form = await request.form()
    answers = parse_answers(form, view.blocks) if view.status in OPEN else None
    # An answer refused as it is (an essay outside its word limits): the page again, as typed,
    # with the message at the question.
    rerender_on_error(
        request,
        PLAYER,
        values={},
        context=_typed_answers_context(actor, assignment_id, answers),
        invalid=NOT_SAVED,
        conflict_redirect=_url(assignment_id),
    )
    data = SubmitRequest(
        answers=answers,
        attempt_no=_attempt_no(form),
        time_spent_seconds=_seconds(form),
    )
    result = await student_work.submit(session, actor, assignment_id, data)
    message = (
        tr(request, SUBMITTED)
        if result.status == "submitted"
        else tr(request, SUBMITTED_AND_GRADED)
    )
    return redirect_with_flash(request, _url(assignment_id), message)


@router.get("/{assignment_id}/attempts/new", response_class=HTMLResponse)
async def new_attempt_page(
    request: Request, assignment_id: IdPath, actor: StudentActor, session: SessionDep
) -> Response:
    """Ask before another attempt: how many remain, which attempt counts, nothing is lost."""
    view = await assignment_service.get_for_student(session, actor, assignment_id)
    context = _player_context(view, await account_service.viewer_zone(session, actor))
    if not context["can_retry"]:
        return redirect_with_flash(request, _url(assignment_id), tr(request, NO_RETRY))
    limit = view.attempt_limit
    remaining = None if limit is None else limit - view.attempts_used
    return render(request, NEW_ATTEMPT_PAGE, {**context, "remaining": remaining})


@router.get("/{assignment_id}/attempts/{attempt_no}", response_class=HTMLResponse)
async def attempt_page(
    request: Request,
    assignment_id: IdPath,
    attempt_no: Annotated[int, Path(ge=1, le=1000)],
    actor: StudentActor,
    session: SessionDep,
) -> Response:
    """One submitted attempt as it was answered, with its points and the teacher's feedback."""
    attempt = await assignment_service.attempt_for_student(
        session, actor, assignment_id, attempt_no
    )
    return render(
        request,
        ATTEMPT_PAGE,
        {
            "attempt": attempt,
            "zone": await account_service.viewer_zone(session, actor),
            "results": {result.block_id: result for result in attempt.results},
            "revealed": {block["id"]: block for block in attempt.revealed or []},
        },
    )


@router.post("/{assignment_id}/attempts")
async def start_new_attempt_submit(
    request: Request, assignment_id: IdPath, actor: StudentActor, session: SessionDep
) -> Response:
    """Start another attempt when the lesson allows more."""
    redirect_on_error(request, _url(assignment_id))
    await student_work.start_new_attempt(session, actor, assignment_id)
    return redirect_with_flash(request, _url(assignment_id), tr(request, NEW_ATTEMPT))
