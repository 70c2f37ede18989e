"""The teacher's grading pages: what waits for a grade, and one submission to review."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.api.deps import IdPath, IdQuery, SessionDep, TeacherActor
from app.api.pages.forms import read_form
from app.api.pages.player import gap_pieces, zone_of
from app.api.templating import form_errors, redirect_with_flash, render, tr
from app.core.errors import Conflict, InvalidInput
from app.core.i18n import N_, gettext_for
from app.schemas.lms import AssignmentTeacherView, GradeRequest
from app.services import accounts
from app.services.lms import assignments as assignment_service
from app.services.lms import reviews as review_service

router = APIRouter()
REVIEW = "lms/grading_review.html"
SCORE = "score."
WAITING_SIZE = 100
RECENT_SIZE = 20
CENT = Decimal("0.01")
GRADE_SAVED = N_("Grade saved")
BAD_POINTS = N_("Enter a number from 0 to {max}")


def _review_url(assignment_id: int) -> str:
    return f"/assignments/{assignment_id}/review"


def plain_number(value: Decimal) -> str:
    """5.00 → "5", 2.50 → "2.5" (what a person would write)."""
    return f"{value.normalize():f}"


def _number(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_grade_form(
    values: dict[str, str], view: AssignmentTeacherView, language: str
) -> tuple[GradeRequest | None, dict[str, str]]:
    """The review form as a GradeRequest, or the field → message errors to show.

    Only the points that were filled in and differ from the current ones (or grade a question
    still pending) are sent, so an untouched question keeps its automatic result."""
    scores: dict[str, Decimal] = {}
    errors: dict[str, str] = {}
    for result in view.results or []:
        name = SCORE + result.block_id
        raw = values.get(name, "").strip()
        if not raw:
            continue
        points = _number(raw)
        if points is None or points < 0 or points > result.max_points:
            errors[name] = gettext_for(language, BAD_POINTS).format(
                max=plain_number(result.max_points)
            )
        elif points.quantize(CENT) != result.points.quantize(CENT) or result.outcome == "pending":
            scores[result.block_id] = points
    try:
        data = GradeRequest(
            scores=scores,
            feedback=values.get("feedback", ""),
            show_correct_answers=values.get("show_correct_answers") == "on",
        )
    except ValidationError as error:
        errors.update(form_errors(error, language))
        return None, errors
    return (None if errors else data), errors


def _error_field(field: str | None) -> str:
    # The service names a question's points `scores.<block id>`; the form calls it `score.<id>`.
    if field and field.startswith("scores."):
        return SCORE + field.removeprefix("scores.")
    return field or "__all__"


async def _review(
    request: Request,
    session: SessionDep,
    actor: TeacherActor,
    view: AssignmentTeacherView,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    me = await accounts.get_me(session, actor)
    context: dict[str, Any] = {
        "view": view,
        "me": me,
        "zone": zone_of(me.timezone),
        "gap_pieces": gap_pieces,
        "plain_number": plain_number,
        "results": {result.block_id: result for result in view.results or []},
        "gradable": view.status in ("submitted", "graded"),
        "values": values,
        "errors": errors or {},
    }
    return render(request, REVIEW, context, status_code=status_code)


@router.get("/grading", response_class=HTMLResponse)
async def grading_list_page(
    request: Request,
    actor: TeacherActor,
    session: SessionDep,
    student_id: IdQuery = None,
    lesson_id: IdQuery = None,
) -> Response:
    """Submissions waiting for a grade (oldest questions first to mind), then recently graded."""
    filters = {"student_id": student_id, "lesson_id": lesson_id}
    waiting, waiting_total = await assignment_service.list_assignments(
        session, actor, limit=WAITING_SIZE, offset=0, bucket="done", status="submitted", **filters
    )
    graded, graded_total = await assignment_service.list_assignments(
        session, actor, limit=RECENT_SIZE, offset=0, bucket="done", status="graded", **filters
    )
    me = await accounts.get_me(session, actor)
    return render(
        request,
        "lms/grading_list.html",
        {
            "waiting": waiting,
            "waiting_total": waiting_total,
            "graded": graded,
            "graded_total": graded_total,
            "student_id": student_id,
            "lesson_id": lesson_id,
            "zone": zone_of(me.timezone),
        },
    )


@router.get("/assignments/{assignment_id}/review", response_class=HTMLResponse)
async def review_page(
    request: Request, assignment_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """One submission: the student's answers, the automatic points, a grade per question."""
    view = await assignment_service.get_for_teacher(session, actor, assignment_id)
    return await _review(request, session, actor, view)


@router.post("/assignments/{assignment_id}/grade", response_class=HTMLResponse)
async def grade_submit(
    request: Request, assignment_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Save the points, the feedback and whether the student sees the correct answers."""
    view = await assignment_service.get_for_teacher(session, actor, assignment_id)
    values = await read_form(request)
    language = request.state.language
    data, errors = parse_grade_form(values, view, language)
    if data is not None:
        try:
            # A savepoint: a question the service rejects halfway leaves no override behind.
            async with session.begin_nested():
                await review_service.grade(session, actor, assignment_id, data)
        except InvalidInput as error:
            errors = {_error_field(error.field): error.text(language)}
        except Conflict as error:
            return redirect_with_flash(
                request, _review_url(assignment_id), error.text(request.state.language)
            )
        else:
            return redirect_with_flash(
                request, _review_url(assignment_id), tr(request, GRADE_SAVED)
            )
    return await _review(
        request, session, actor, view, values=values, errors=errors, status_code=422
    )
