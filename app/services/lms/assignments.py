"""Reading assignments: a student's own and a teacher's lists, one assignment as a student may
see it (no answer keys) or as its teacher sees it; the helpers the other assignment modules share.

The statements come from the LMS repository: the hot ones are prebuilt with bind parameters
(`tenant_params`), all name `teacher_id` (plan-time pruning to one partition of
`lesson_assignments`) and RLS checks the same tenant again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.clock import now_utc
from app.core.errors import NotFound
from app.core.i18n import N_
from app.models.lms import AssignmentStatus, LessonAssignment
from app.models.users import Role
from app.schemas.lms import (
    AssignmentStudentView,
    AssignmentSummary,
    AssignmentTeacherView,
    AttemptRead,
    QuestionResultRead,
)
from app.schemas.lms.blocks import QUESTION_TYPES, Block, content_adapter
from app.services.lms import repository
from app.services.lms.repository import DONE, OPEN
from app.services.lms.student_view import revealed_block, student_blocks
from app.services.paging import fetch_page
from app.services.scoping import require_role, student_profile_id, tenant_params


def summary_fields(
    row: Any, now: datetime, assignment: LessonAssignment | None = None
) -> dict[str, Any]:
    """A summary from a row with the lesson and student columns, and the assignment's own
    columns from that row (a list) or from the loaded, possibly just changed, `assignment`."""
    source: Any = row if assignment is None else assignment
    blocks_viewed = row.blocks_viewed if assignment is None else len(assignment.blocks_viewed)
    overdue = source.due_at is not None and source.due_at < now and source.status in OPEN
    return {
        "id": source.id,
        "lesson_id": source.lesson_id,
        "lesson_title": row.lesson_title,
        "student_id": source.student_id,
        "student_name": f"{row.surname} {row.name}",
        "student": {"id": source.student_id, "surname": row.surname, "name": row.name},
        "status": source.status,
        "due_at": source.due_at,
        "overdue": overdue,
        "score": source.score,
        "max_score": source.max_score,
        "attempts_used": source.attempts_used,
        "attempt_limit": row.attempt_limit,
        "blocks_viewed": blocks_viewed or 0,
        "block_count": row.block_count or 0,
        "time_spent_seconds": source.time_spent_seconds,
        "assigned_at": source.assigned_at,
        "submitted_at": source.submitted_at,
        "graded_at": source.graded_at,
    }


async def list_assignments(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    bucket: str | None = None,
    student_id: int | None = None,
    lesson_id: int | None = None,
    status: str | None = None,
) -> tuple[list[AssignmentSummary], int]:
    """A student's own assignments, or a teacher's (by student, lesson or status).

    Buckets: `todo` (not submitted yet, soonest due first), `done` (submitted or graded),
    `overdue` (not submitted and past due).
    """
    require_role(actor, Role.TEACHER, Role.STUDENT)
    now = now_utc()
    params = tenant_params(actor, now=now)
    if actor.role is Role.STUDENT:
        student_id = await student_profile_id(session, actor)
    if student_id is not None:
        params["student_id"] = student_id
    if lesson_id is not None:
        params["lesson_id"] = lesson_id
    if status is not None:
        params["status"] = status
    stmt = repository.assignment_list_statement(
        bucket, student_id is not None, lesson_id is not None, status is not None
    )
    rows, total = await fetch_page(session, stmt, params, limit=limit, offset=offset)
    items = [AssignmentSummary.model_validate(summary_fields(row, now)) for row in rows]
    return items, total


async def load_assignment(
    session: AsyncSession, actor: Actor, assignment_id: int, *, for_update: bool = False
) -> tuple[Any, LessonAssignment]:
    """The summary row (with the lesson's settings) and the assignment, if the actor may see it;
    NotFound otherwise."""
    require_role(actor, Role.TEACHER, Role.STUDENT)
    params = tenant_params(actor, assignment_id=assignment_id)
    for_student = actor.role is Role.STUDENT
    if for_student:
        params["student_id"] = await student_profile_id(session, actor)
    stmt = repository.assignment_statement(for_student, for_update)
    row = (await session.execute(stmt, params)).first()
    if row is None:
        raise NotFound(N_("Assignment not found"))
    return row, row[0]


def stored_results(assignment: LessonAssignment) -> list[QuestionResultRead] | None:
    if assignment.results is None:
        return None
    return [QuestionResultRead.model_validate(item) for item in assignment.results]


def current_attempt_no(assignment: LessonAssignment) -> int:
    if assignment.status in OPEN:
        return assignment.attempts_used + 1
    return assignment.attempts_used


async def version_blocks(
    session: AsyncSession, actor: Actor, assignment: LessonAssignment
) -> list[Block]:
    """The blocks of the lesson version the assignment's current attempt answers."""
    content = await session.scalar(
        repository.VERSION_CONTENT,
        tenant_params(actor, lesson_id=assignment.lesson_id, version=assignment.lesson_version),
    )
    if content is None:
        raise NotFound(N_("Lesson not found"))
    return content_adapter.validate_python(content)


def student_view(
    row: Any, assignment: LessonAssignment, blocks: list[Block]
) -> AssignmentStudentView:
    """The assignment as its student may see it; `row` comes from `load_assignment`, `blocks`
    are the version's blocks (`version_blocks`)."""
    assert assignment.id is not None
    graded = assignment.status == AssignmentStatus.GRADED.value
    revealed = None
    if graded and assignment.show_correct_answers:
        revealed = [revealed_block(block) for block in blocks if isinstance(block, QUESTION_TYPES)]
    return AssignmentStudentView.model_validate(
        {
            **summary_fields(row, now_utc(), assignment),
            "attempt_no": current_attempt_no(assignment),
            "time_limit_minutes": row.time_limit_minutes,
            "started_at": assignment.started_at,
            "blocks": student_blocks(
                blocks,
                seed=assignment.id * 1000 + current_attempt_no(assignment),
                shuffle_options=row.shuffle_options,
            ),
            "answers": assignment.answers or {},
            # Per-question points only once submitted; keys only if the teacher shows them.
            "results": stored_results(assignment) if assignment.status in DONE else None,
            "feedback": assignment.feedback if graded else None,
            "revealed": revealed,
        }
    )


async def get_for_student(
    session: AsyncSession, actor: Actor, assignment_id: int
) -> AssignmentStudentView:
    """The student's own assignment with the lesson as they may see it (no answer keys)."""
    require_role(actor, Role.STUDENT)
    row, assignment = await load_assignment(session, actor, assignment_id)
    return student_view(row, assignment, await version_blocks(session, actor, assignment))


async def get_for_teacher(
    session: AsyncSession, actor: Actor, assignment_id: int
) -> AssignmentTeacherView:
    """Everything about one assignment: the version answered, answers, attempts, grading."""
    require_role(actor, Role.TEACHER)
    row, assignment = await load_assignment(session, actor, assignment_id)
    assert assignment.id is not None
    blocks = await version_blocks(session, actor, assignment)
    attempts = await session.scalars(repository.attempts_of(actor, assignment.id))
    return AssignmentTeacherView.model_validate(
        {
            **summary_fields(row, now_utc(), assignment),
            "lesson_version": assignment.lesson_version,
            "content": blocks,
            "answers": assignment.answers or {},
            "results": stored_results(assignment),
            "feedback": assignment.feedback,
            "show_correct_answers": assignment.show_correct_answers,
            "score_overridden_by": assignment.score_overridden_by,
            "score_overridden_at": assignment.score_overridden_at,
            "attempts": [
                AttemptRead.model_validate(
                    {
                        **attempt.model_dump(),
                        "results": [
                            QuestionResultRead.model_validate(item) for item in attempt.results
                        ],
                    }
                )
                for attempt in attempts.all()
            ],
        }
    )
