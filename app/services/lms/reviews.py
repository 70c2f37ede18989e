"""The teacher's grading: points per question (overrides recorded), feedback, what the student
sees afterwards."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.clock import now_utc
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.i18n import N_
from app.models.lms import AssignmentStatus, ScoreOverride
from app.models.users import Role
from app.schemas.lms import (
    AssignmentTeacherView,
    GradeRequest,
)
from app.services.lms import attempt_history, repository
from app.services.lms.assignments import get_for_teacher, load_assignment
from app.services.lms.grading import CENT
from app.services.lms.repository import DONE
from app.services.lms.student_work import emit_event, total_points
from app.services.scoping import require_role


def _outcome(points: Decimal, max_points: Decimal) -> str:
    if points >= max_points:
        return "correct"
    return "partial" if points > 0 else "incorrect"


async def grade(
    session: AsyncSession, actor: Actor, assignment_id: int, data: GradeRequest
) -> AssignmentTeacherView:
    """Grade by hand: set any question's points (recording who and when), write feedback,
    choose whether the student sees the correct answers. Essays are graded here."""
    require_role(actor, Role.TEACHER)
    row, assignment = await load_assignment(session, actor, assignment_id, for_update=True)
    if assignment.attempts_used == 0:
        raise Conflict(N_("Nothing to grade yet: the student has not submitted"))
    assert assignment.id is not None
    attempt_no = data.attempt_no or assignment.attempts_used
    attempt = await session.scalar(repository.attempt_for_update(actor, assignment.id, attempt_no))
    if attempt is None:
        raise NotFound(N_("There is no such attempt"))
    # The assignment mirrors its latest submitted attempt (what the player shows).
    latest = attempt_no == assignment.attempts_used and assignment.status in DONE
    results = [dict(item) for item in attempt.results]
    by_block = {item["block_id"]: item for item in results}
    now = now_utc()
    assert actor.user_id is not None and assignment.id is not None
    changed = False
    for block_id, points in data.scores.items():
        item = by_block.get(block_id)
        if item is None:
            raise InvalidInput(N_("No such question in this lesson"), field=f"scores.{block_id}")
        max_points = Decimal(item["max_points"])
        if points > max_points:
            raise InvalidInput(
                N_("At most {max} points"), field=f"scores.{block_id}", max=max_points
            )
        points = points.quantize(CENT)
        old = Decimal(item["points"])
        if old == points and item["outcome"] != "pending":
            continue
        session.add(
            ScoreOverride(
                teacher_id=assignment.teacher_id,
                assignment_id=assignment.id,
                attempt_no=attempt.attempt_no,
                block_id=block_id,
                old_points=None if item["outcome"] == "pending" else old,
                new_points=points,
                changed_by=actor.user_id,
            )
        )
        item.update(
            points=str(points),
            outcome=_outcome(points, max_points),
            overridden_by=actor.user_id,
            overridden_at=now.isoformat(),
        )
        changed = True
    score = total_points(results)
    pending = any(item["outcome"] == "pending" for item in results)
    newly_graded = not pending and (attempt.graded_at is None or changed)
    attempt.results = results
    attempt.score = score
    if data.feedback is not None:
        attempt.feedback = data.feedback or None
    if not pending:
        attempt.graded_at = attempt.graded_at if not changed and attempt.graded_at else now
    if changed:
        assignment.score_overridden_by = actor.user_id
        assignment.score_overridden_at = now
    if data.show_correct_answers is not None:
        assignment.show_correct_answers = data.show_correct_answers
    if latest:
        assignment.results = results
        assignment.score = score
        assignment.feedback = attempt.feedback
        if not pending:
            assignment.status = AssignmentStatus.GRADED.value
            assignment.graded_at = attempt.graded_at
    assignment.updated_at = now
    await session.flush()
    await attempt_history.recount(session, actor, assignment, row.counted_attempt)
    # "graded" is emitted once per real change of a grade (an attempt's first grade, or new
    # points), never for feedback-only edits: subscribers such as rewards pay per event.
    if newly_graded:
        await emit_event(session, "graded", assignment)
    return await get_for_teacher(session, actor, assignment_id, attempt_no)
