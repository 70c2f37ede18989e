"""Attempts are history: every submitted attempt stays with its answers, score and feedback,
and the lesson's rule (`Lesson.counted_attempt`: best, last or first) picks the graded one that
counts. The assignment carries that attempt's numbers (`counted_*`) so that dashboards,
progress and lists never read the attempts; they are recomputed here, in the transaction that
grades an attempt or changes the rule."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.models.lms import AssignmentAttempt, Lesson, LessonAssignment
from app.schemas.lms import AttemptBrief
from app.services.lms import repository
from app.services.scoping import tenant_params

COUNTED_COLUMNS = ("counted_attempt_no", "counted_score", "counted_max_score")


async def recount(
    session: AsyncSession, actor: Actor, assignment: LessonAssignment, rule: str
) -> None:
    """Point the assignment at its attempt that counts under `rule` (after a grade changed)."""
    assert assignment.id is not None
    await session.flush()
    await session.execute(
        repository.recount_counted(actor, rule, assignment_id=assignment.id),
        execution_options={"synchronize_session": False},
    )
    await session.refresh(assignment, list(COUNTED_COLUMNS))


async def recount_lesson(session: AsyncSession, actor: Actor, lesson: Lesson) -> None:
    """Every assignment of the lesson under its (just changed) rule: one statement."""
    assert lesson.id is not None
    await session.flush()
    await session.execute(
        repository.recount_counted(actor, lesson.counted_attempt, lesson_id=lesson.id),
        execution_options={"synchronize_session": False},
    )


def brief(attempt: Any, assignment: LessonAssignment) -> AttemptBrief:
    """The attempt (a row or an `AssignmentAttempt`) in the student's history: points and
    feedback only once it is graded."""
    graded = attempt.graded_at is not None
    return AttemptBrief(
        attempt_no=attempt.attempt_no,
        submitted_at=attempt.submitted_at,
        graded_at=attempt.graded_at,
        score=attempt.score if graded else None,
        max_score=attempt.max_score,
        feedback=attempt.feedback if graded else None,
        counted=attempt.attempt_no == assignment.counted_attempt_no,
    )


async def history(
    session: AsyncSession, actor: Actor, assignment: LessonAssignment
) -> list[AttemptBrief]:
    """Every submitted attempt of the assignment, the first first (numbers, no answers)."""
    rows = await session.execute(
        repository.ATTEMPT_BRIEFS, tenant_params(actor, assignment_id=assignment.id)
    )
    return [brief(row, assignment) for row in rows]


async def attempts_of(
    session: AsyncSession, actor: Actor, assignment: LessonAssignment
) -> list[AssignmentAttempt]:
    """Every submitted attempt in full (answers and results): the teacher's review."""
    assert assignment.id is not None
    return list((await session.scalars(repository.attempts_of(actor, assignment.id))).all())
