"""The student's lesson player: answer, autosave, submit, start another attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.api.deps import IdPath, SessionDep, StudentActor
from app.api.templating import redirect_with_flash, render, tr
from app.core.actor import Actor
from app.core.errors import Conflict, InvalidInput
from app.core.i18n import N_
from app.schemas.blocks import GAP_MARKER, QUESTION_KINDS
from app.schemas.lms import AssignmentStudentView, SaveProgress, SubmitRequest
from app.services import accounts
from app.services.lms import assignments as assignment_service
from app.services.lms import student_work

router = APIRouter(prefix="/assignments")
PLAYER = "lms/player.html"
ANSWER = "answer."
# Not a character of block ids (see `BlockId`), so a position never looks like an id.
RIGHT_TOKEN = "~"  # noqa: S105 - a form value prefix, not a secret
OPEN = ("assigned", "in_progress")
# Time between two autosaves counts as work only up to this: an idle tab is not studying.
MAX_SECONDS_BETWEEN_SAVES = 600
NOT_SAVED = N_("Your answers could not be saved: they are too long")
SAVED = N_("Saved")
SUBMITTED = N_("Submitted: the teacher will check your answers")
SUBMITTED_AND_GRADED = N_("Submitted and graded")
NEW_ATTEMPT = N_("A new attempt has begun")


def _url(assignment_id: int) -> str:
    return f"/assignments/{assignment_id}"


# --- shared with the grading pages


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def viewer_zone(session: AsyncSession, actor: Actor) -> ZoneInfo:
    """Times are shown in the signed-in person's own time zone."""
    return zone_of((await accounts.get_me(session, actor)).timezone)


def gap_pieces(text: str) -> list[tuple[str, str | None]]:
    """A fill-in-the-blanks text as (text, None) and ("", gap id) pieces, in order.

    The template escapes each text piece and puts an input (or the answer) at each gap; the
    markers would not survive a Markdown renderer."""
    parts = GAP_MARKER.split(text)
    pieces: list[tuple[str, str | None]] = []
    for index, part in enumerate(parts):
        if index % 2:
            pieces.append(("", part))
        elif part:
            pieces.append((part, None))
    return pieces


# --- the one form parser


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _position(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _right_id(right: list[dict[str, str]], value: str) -> str | None:
    """A matching select's value: `~<n>`, the n-th right item as shown, or a right item's id.

    The page sends positions because in a matching block the right item that belongs to a left
    item carries the same pair id: ids in the HTML would give the answer away."""
    if value.startswith(RIGHT_TOKEN):
        index = _position(value.removeprefix(RIGHT_TOKEN))
        return right[index]["id"] if index is not None and 0 <= index < len(right) else None
    return value if any(item["id"] == value for item in right) else None


def _answer(block: dict[str, Any], form: FormData) -> Any:
    """One question's answer in the shape grading expects, or None when left blank."""
    name = ANSWER + block["id"]
    kind = block["type"]
    if kind in ("single_choice", "multiple_choice"):
        option_ids = [option["id"] for option in block["options"]]
        chosen = {value for value in form.getlist(name) if isinstance(value, str)}
        picked = [option_id for option_id in option_ids if option_id in chosen]
        if kind == "single_choice":
            return picked[0] if picked else None
        return picked or None
    if kind == "true_false":
        return {"true": True, "false": False}.get(_text(form, name))
    if kind in ("short_answer", "essay", "numeric"):
        value = _text(form, name)
        return value if value.strip() else None
    if kind == "matching":
        pairs = {}
        for item in block["left"]:
            right_id = _right_id(block["right"], _text(form, f"{name}.{item['id']}"))
            if right_id is not None:
                pairs[item["id"]] = right_id
        return pairs or None
    if kind == "ordering":
        placed = []
        for shown, item in enumerate(block["items"]):
            position = _position(_text(form, f"{name}.{item['id']}"))
            if position is not None:
                placed.append((position, shown, item["id"]))
        return [item_id for _, _, item_id in sorted(placed)] or None
    if kind == "fill_blanks":
        gaps = {
            gap["id"]: _text(form, f"{name}.{gap['id']}")
            for gap in block["gaps"]
            if _text(form, f"{name}.{gap['id']}").strip()
        }
        return gaps or None
    return None


def parse_answers(form: FormData, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """The player form as the answers dict the services store and grade.

    Every question on the page gets an entry; a blank one is None, so clearing an input clears
    the saved answer instead of leaving the old one behind. Values that are not among the
    question's options are dropped.
    """
    return {
        block["id"]: _answer(block, form) for block in blocks if block["type"] in QUESTION_KINDS
    }


def _seconds(form: FormData) -> int:
    seconds = _position(_text(form, "time_spent_seconds")) or 0
    return max(0, min(seconds, MAX_SECONDS_BETWEEN_SAVES))


def _attempt_no(form: FormData) -> int | None:
    number = _position(_text(form, "attempt_no"))
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
        "gap_pieces": gap_pieces,
        "editable": view.status in OPEN,
        # Only after grading: the teacher grades the latest attempt.
        "can_retry": view.status == "graded" and (limit is None or view.attempts_used < limit),
        "deadline": deadline,
        "time_is_up": view.status in OPEN and deadline is not None and deadline < datetime.now(UTC),
        "results": {result.block_id: result for result in view.results or []},
        "revealed": {block["id"]: block for block in view.revealed or []},
    }


@router.get("/{assignment_id}", response_class=HTMLResponse)
async def player_page(
    request: Request, assignment_id: IdPath, actor: StudentActor, session: SessionDep
) -> Response:
    """The lesson with the student's saved answers; the result once submitted."""
    view = await assignment_service.get_for_student(session, actor, assignment_id)
    zone = await viewer_zone(session, actor)
    return render(request, PLAYER, _player_context(view, zone))


@router.post("/{assignment_id}/save")
async def save_progress_submit(
    request: Request, assignment_id: IdPath, actor: StudentActor, session: SessionDep
) -> Response:
    """Save the answers so far: the Save button (303 back) or player.js (204)."""
    by_script = request.headers.get("x-requested-with") == "fetch"
    view = await assignment_service.get_for_student(session, actor, assignment_id)
    form = await request.form()
    try:
        data = SaveProgress(
            answers=parse_answers(form, view.blocks),
            # The whole lesson is on this one page.
            blocks_viewed=[block["id"] for block in view.blocks],
            time_spent_seconds=_seconds(form),
        )
        await student_work.save_progress(session, actor, assignment_id, data)
    except (Conflict, InvalidInput) as error:
        message = error.text(request.state.language)
        if by_script:
            return PlainTextResponse(message, status_code=error.status_code)
        return redirect_with_flash(request, _url(assignment_id), message)
    except ValidationError:
        if by_script:
            return PlainTextResponse(tr(request, NOT_SAVED), status_code=422)
        return redirect_with_flash(request, _url(assignment_id), tr(request, NOT_SAVED))
    if by_script:
        return Response(status_code=204)
    return redirect_with_flash(request, _url(assignment_id), tr(request, SAVED))


@router.post("/{assignment_id}/submit")
async def submit_assignment_submit(
    request: Request, assignment_id: IdPath, actor: StudentActor, session: SessionDep
) -> Response:
    """Submit the attempt named in the form; a second click finds it submitted and counts
    nothing twice."""
    view = await assignment_service.get_for_student(session, actor, assignment_id)
    form = await request.form()
    try:
        data = SubmitRequest(
            answers=parse_answers(form, view.blocks) if view.status in OPEN else None,
            attempt_no=_attempt_no(form),
            time_spent_seconds=_seconds(form),
        )
        result = await student_work.submit(session, actor, assignment_id, data)
    except (Conflict, InvalidInput) as error:
        return redirect_with_flash(request, _url(assignment_id), error.text(request.state.language))
    except ValidationError:
        return redirect_with_flash(request, _url(assignment_id), tr(request, NOT_SAVED))
    message = (
        tr(request, SUBMITTED)
        if result.status == "submitted"
        else tr(request, SUBMITTED_AND_GRADED)
    )
    return redirect_with_flash(request, _url(assignment_id), message)


@router.post("/{assignment_id}/attempts")
async def start_new_attempt_submit(
    request: Request, assignment_id: IdPath, actor: StudentActor, session: SessionDep
) -> Response:
    """Start another attempt when the lesson allows more."""
    try:
        await student_work.start_new_attempt(session, actor, assignment_id)
    except Conflict as error:
        return redirect_with_flash(request, _url(assignment_id), error.text(request.state.language))
    return redirect_with_flash(request, _url(assignment_id), tr(request, NEW_ATTEMPT))
