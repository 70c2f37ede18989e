"""The student's side of an assignment: autosave, submit (graded at once where it can be),
another attempt."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.clock import now_utc
from app.core.errors import Conflict
from app.core.i18n import N_
from app.models.lms import (
    AssignmentAttempt,
    AssignmentStatus,
    LessonAssignment,
    LessonStatus,
)
from app.models.users import Role
from app.schemas.lms import (
    AssignmentStudentView,
    SaveProgress,
    SubmitRequest,
)
from app.schemas.lms.blocks import QUESTION_TYPES, Block
from app.services.lms import answer_checks, attempt_history, events
from app.services.lms.assignments import (
    current_attempt_no,
    full_student_view,
    load_assignment,
    student_view,
    version_blocks,
)
from app.services.lms.grading import CENT, grade_answers
from app.services.lms.repository import DONE, OPEN
from app.services.scoping import require_role

# Autosaves in flight when the timer runs out still count.
TIME_LIMIT_GRACE = timedelta(seconds=30)


def _time_is_up(
    assignment: LessonAssignment, time_limit_minutes: int | None, now: datetime
) -> bool:
    if time_limit_minutes is None or assignment.started_at is None:
        return False
    deadline = assignment.started_at + timedelta(minutes=time_limit_minutes)
    return now > deadline + TIME_LIMIT_GRACE


def _given(value: Any) -> bool:
    """Whether an answer says anything (blank text, empty choices and gaps do not)."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict):
        return any(_given(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_given(item) for item in value)
    return value is not None


def answered_count(answers: dict[str, Any]) -> int:
    """Questions answered (the answers are already only this lesson's questions)."""
    return sum(1 for value in answers.values() if _given(value))


def _known_answers(blocks: list[Block], answers: dict[str, Any]) -> dict[str, Any]:
    """Answers to this lesson's questions only; anything else is dropped, never stored."""
    question_ids = {block.id for block in blocks if isinstance(block, QUESTION_TYPES)}
    return {key: value for key, value in answers.items() if key in question_ids}


async def save_progress(
    session: AsyncSession, actor: Actor, assignment_id: int, data: SaveProgress
) -> AssignmentStudentView:
    """Autosave: merge the answers, remember the blocks seen, add the time spent."""
    require_role(actor, Role.STUDENT)
    row, assignment = await load_assignment(session, actor, assignment_id, for_update=True)
    if assignment.status not in OPEN:
        raise Conflict(N_("This attempt is already submitted"))
    now = now_utc()
    if _time_is_up(assignment, row.time_limit_minutes, now):
        raise Conflict(N_("Time is up: submit what you have saved"))
    blocks = await version_blocks(session, actor, assignment)
    if data.answers:
        assignment.answers = {
            **(assignment.answers or {}),
            **_known_answers(blocks, data.answers),
        }
        assignment.answered_count = answered_count(assignment.answers)
    if data.blocks_viewed:
        known = {block.id for block in blocks}
        seen = list(assignment.blocks_viewed or [])
        seen += [b for b in data.blocks_viewed if b in known and b not in seen]
        assignment.blocks_viewed = seen
    assignment.time_spent_seconds += data.time_spent_seconds
    if assignment.status == AssignmentStatus.ASSIGNED.value:
        assignment.status = AssignmentStatus.IN_PROGRESS.value
        assignment.started_at = now
    assignment.updated_at = now
    await session.flush()
    return student_view(row, assignment, blocks)


def total_points(results: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(item["points"]) for item in results), Decimal(0)).quantize(CENT)


async def emit_event(
    session: AsyncSession, kind: events.EventKind, assignment: LessonAssignment
) -> None:
    assert assignment.id is not None
    await events.emit(
        session,
        events.AssignmentEvent(
            kind=kind,
            teacher_id=assignment.teacher_id,
            assignment_id=assignment.id,
            student_id=assignment.student_id,
            lesson_id=assignment.lesson_id,
            attempt_no=assignment.attempts_used,
            score=assignment.score,
            max_score=assignment.max_score,
        ),
    )


async def submit(
    session: AsyncSession, actor: Actor, assignment_id: int, data: SubmitRequest
) -> AssignmentStudentView:
    """Submit the current attempt and grade what can be graded automatically.

    Idempotent: submitting again (a retry, a double click) returns the same result and counts
    nothing twice; a new attempt is an explicit `start_new_attempt`.
    """
    require_role(actor, Role.STUDENT)
    row, assignment = await load_assignment(session, actor, assignment_id, for_update=True)
    current = current_attempt_no(assignment)
    if data.attempt_no is not None and data.attempt_no > current:
        raise Conflict(N_("There is no such attempt"))
    already_submitted = (
        data.attempt_no is not None and data.attempt_no <= assignment.attempts_used
    ) or (data.attempt_no is None and assignment.status in DONE)
    if already_submitted:
        return await full_student_view(session, actor, row, assignment)
    blocks = await version_blocks(session, actor, assignment)

    now = now_utc()
    answers = dict(assignment.answers or {})
    if data.answers and not _time_is_up(assignment, row.time_limit_minutes, now):
        answers.update(_known_answers(blocks, data.answers))
    if not _time_is_up(assignment, row.time_limit_minutes, now):  # then: submitted as saved
        answer_checks.require_submittable(blocks, answers)
    results = [result.as_json() for result in grade_answers(blocks, answers)]
    score = total_points(results)
    pending = any(item["outcome"] == "pending" for item in results)
    assert assignment.id is not None

    attempt_no = assignment.attempts_used + 1
    session.add(
        AssignmentAttempt(
            teacher_id=assignment.teacher_id,
            assignment_id=assignment.id,
            attempt_no=attempt_no,
            lesson_version=assignment.lesson_version,
            answers=answers,
            results=results,
            auto_score=score,
            score=score,
            max_score=assignment.max_score,
            time_spent_seconds=assignment.time_spent_seconds + data.time_spent_seconds,
            started_at=assignment.started_at,
            submitted_at=now,
            graded_at=None if pending else now,
        )
    )
    assignment.attempts_used = attempt_no
    assignment.answers = answers
    assignment.answered_count = answered_count(answers)
    assignment.results = results
    assignment.score = score
    assignment.time_spent_seconds += data.time_spent_seconds
    assignment.started_at = assignment.started_at or now
    assignment.submitted_at = now
    assignment.status = (
        AssignmentStatus.SUBMITTED.value if pending else AssignmentStatus.GRADED.value
    )
    assignment.graded_at = None if pending else now
    assignment.updated_at = now
    await session.flush()
    if not pending:
        await attempt_history.recount(session, actor, assignment, row.counted_attempt)
    await emit_event(session, "submitted", assignment)
    if not pending:
        await emit_event(session, "graded", assignment)
    return await full_student_view(session, actor, row, assignment)


async def start_new_attempt(
    session: AsyncSession, actor: Actor, assignment_id: int
) -> AssignmentStudentView:
    """Begin another attempt (if the lesson allows more) on the lesson's current version."""
    require_role(actor, Role.STUDENT)
    row, assignment = await load_assignment(session, actor, assignment_id, for_update=True)
    if assignment.status in OPEN:
        return await full_student_view(session, actor, row, assignment)
    # The teacher grades the latest attempt: starting another would leave this one's essays
    # ungradable.
    if assignment.status == AssignmentStatus.SUBMITTED.value:
        raise Conflict(N_("Your last attempt is waiting for the teacher's grade"))
    if row.attempt_limit is not None and assignment.attempts_used >= row.attempt_limit:
        raise Conflict(N_("No attempts left"))
    if row.lesson_status == LessonStatus.ARCHIVED.value:
        raise Conflict(N_("This lesson is archived"))
    now = now_utc()
    # Pinning the version: its foreign key check holds the version row FOR KEY SHARE, which a
    # builder save's lock on that row (lessons._save_version) waits for, and the other way round.
    assignment.lesson_version = row.lesson_current_version
    assignment.max_score = row.lesson_max_score
    assignment.status = AssignmentStatus.IN_PROGRESS.value
    assignment.answers = {}
    assignment.answered_count = 0
    assignment.blocks_viewed = []
    assignment.started_at = now
    assignment.updated_at = now
    # Every submitted attempt stays in the history with its score and feedback; the counted
    # score does not change until another attempt is graded.
    await session.flush()
    return await full_student_view(session, actor, row, assignment)
