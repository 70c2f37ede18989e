"""The teacher's grading pages: what waits for a grade, and one submission to review."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BeforeValidator, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import IdPath, IdQuery, SessionDep, TeacherActor
from app.api.forms import ContextLoader, FormInvalid, read_form, rerender_on_error
from app.api.templating import form_errors, language_of, redirect_with_flash, render, tr
from app.core.actor import Actor
from app.core.clock import zone_of
from app.core.errors import AppError
from app.core.i18n import N_, gettext_for
from app.schemas.common import MAX_ID
from app.schemas.lms import AssignmentTeacherView, GradeRequest
from app.services.accounts import students as student_service
from app.services.accounts import users as account_service
from app.services.lms import assignments as assignment_service
from app.services.lms import reviews as review_service

router = APIRouter()
REVIEW = "lms/review.html"
SCORE = "score."
WAITING_SIZE = 100
RECENT_SIZE = 20
CENT = Decimal("0.01")
GRADE_SAVED = N_("Grade saved")
BAD_POINTS = N_("Enter a number from 0 to {max}")
# An answer only the teacher can grade (an essay) left blank: saving would say "Grade saved"
# while the submission stays waiting for a grade.
POINTS_NEEDED = N_("Give this answer its points: a number from 0 to {max}")


# The students the grading filter offers (a teacher with more still finds the chosen one).
STUDENT_CHOICES = 500


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


# The filter's select sends an empty string for "all students".
StudentChoice = Annotated[
    Annotated[int, Field(gt=0, le=MAX_ID)] | None, BeforeValidator(_blank_is_none), Query()
]


def _review_url(assignment_id: int, attempt_no: int | None = None) -> str:
    url = f"/assignments/{assignment_id}/review"
    return url if attempt_no is None else f"{url}?attempt={attempt_no}"


def _form_attempt(values: dict[str, str]) -> int | None:
    raw = values.get("attempt_no", "")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 1000 else None


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
) -> GradeRequest:
    """The review form as a GradeRequest; raises FormInvalid with a message at each wrong field.

    Only the points that were filled in and differ from the current ones (or grade a question
    still pending) are sent, so an untouched question keeps its automatic result. A question
    still pending (an essay) must get its points: the form says so at that field."""
    scores: dict[str, Decimal] = {}
    errors: dict[str, str] = {}
    for result in view.results or []:
        name = SCORE + result.block_id
        raw = values.get(name, "").strip()
        if not raw:
            if result.outcome == "pending":
                errors[name] = gettext_for(language, POINTS_NEEDED).format(
                    max=plain_number(result.max_points)
                )
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
            attempt_no=view.reviewed_attempt_no,
        )
    except ValidationError as error:
        errors.update(form_errors(error, language))
    if errors:
        raise FormInvalid(errors)
    return data


def _grade_errors(error: Exception, language: str) -> dict[str, str]:
    if isinstance(error, FormInvalid):
        return dict(error.errors)
    assert isinstance(error, AppError)
    # The service names a question's points `scores.<block id>`; the form calls it `score.<id>`.
    field = error.field or "__all__"
    if field.startswith("scores."):
        field = SCORE + field.removeprefix("scores.")
    return {field: error.text(language)}


async def _review_context(
    session: AsyncSession, actor: Actor, view: AssignmentTeacherView
) -> dict[str, Any]:
    me = await account_service.get_me(session, actor)
    return {
        "view": view,
        "me": me,
        "zone": zone_of(me.timezone),
        "plain_number": plain_number,
        "results": {result.block_id: result for result in view.results or []},
        # Any submitted attempt can be graded, also while the student tries again.
        "gradable": view.reviewed_attempt_no is not None,
    }


def _review_context_loader(
    actor: Actor, assignment_id: int, attempt_no: int | None
) -> ContextLoader:
    async def load(session: AsyncSession, error: Exception) -> dict[str, Any]:
        view = await assignment_service.get_for_teacher(session, actor, assignment_id, attempt_no)
        return await _review_context(session, actor, view)

    return load


@router.get("/grading", response_class=HTMLResponse)
async def grading_list_page(
    request: Request,
    actor: TeacherActor,
    session: SessionDep,
    student_id: StudentChoice = None,
    lesson_id: IdQuery = None,
) -> Response:
    """Submissions waiting for a grade (oldest questions first to mind), then recently graded;
    filtered by a student (chosen by name; another teacher's student is a 404) or a lesson."""
    chosen = await student_service.get_student(session, actor, student_id) if student_id else None
    students, _ = await student_service.list_students(
        session, actor, limit=STUDENT_CHOICES, offset=0
    )
    if chosen is not None and all(student.id != chosen.id for student in students):
        students.insert(0, chosen)
    filters = {"student_id": student_id, "lesson_id": lesson_id}
    waiting, waiting_total = await assignment_service.list_assignments(
        session, actor, limit=WAITING_SIZE, offset=0, bucket="done", status="submitted", **filters
    )
    graded, graded_total = await assignment_service.list_assignments(
        session, actor, limit=RECENT_SIZE, offset=0, bucket="done", status="graded", **filters
    )
    zone = await account_service.viewer_zone(session, actor)
    return render(
        request,
        "lms/review_list.html",
        {
            "waiting": waiting,
            "waiting_total": waiting_total,
            "graded": graded,
            "graded_total": graded_total,
            "student_id": student_id,
            "lesson_id": lesson_id,
            "chosen_student": chosen,
            "students": students,
            "zone": zone,
        },
    )


@router.get("/assignments/{assignment_id}/review", response_class=HTMLResponse)
async def review_page(
    request: Request,
    assignment_id: IdPath,
    actor: TeacherActor,
    session: SessionDep,
    attempt: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> Response:
    """One submitted attempt (the latest unless `attempt` names another): the student's
    answers, the automatic points, a grade per question; every attempt listed."""
    view = await assignment_service.get_for_teacher(session, actor, assignment_id, attempt)
    context = await _review_context(session, actor, view)
    return render(request, REVIEW, {**context, "values": None, "errors": {}})


@router.post("/assignments/{assignment_id}/grade", response_class=HTMLResponse)
async def grade_submit(
    request: Request, assignment_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Save the points, the feedback and whether the student sees the correct answers."""
    values = await read_form(request)
    attempt_no = _form_attempt(values)
    rerender_on_error(
        request,
        REVIEW,
        values=values,
        context=_review_context_loader(actor, assignment_id, attempt_no),
        errors=_grade_errors,
        conflict_redirect=_review_url(assignment_id, attempt_no),
    )
    view = await assignment_service.get_for_teacher(session, actor, assignment_id, attempt_no)
    data = parse_grade_form(values, view, language_of(request))
    await review_service.grade(session, actor, assignment_id, data)
    return redirect_with_flash(
        request, _review_url(assignment_id, attempt_no), tr(request, GRADE_SAVED)
    )
