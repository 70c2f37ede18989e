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
    AttemptBrief,
    AttemptRead,
    AttemptStudentView,
    QuestionResultRead,
)
from app.schemas.lms.blocks import QUESTION_TYPES, Block, stored_blocks
from app.services.lms import attempt_history, repository
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
    # Work never submitted and past due (another try after a submitted one is not overdue).
    overdue = (
        source.due_at is not None
        and source.due_at < now
        and source.status in OPEN
        and source.attempts_used == 0
    )
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
        "counted_attempt": row.counted_attempt,
        "counted_attempt_no": source.counted_attempt_no,
        "counted_score": source.counted_score,
        "counted_max_score": source.counted_max_score,
        "answered_count": source.answered_count,
        "question_count": row.question_count or 0,
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
    return stored_blocks(content)


def student_view(
    row: Any,
    assignment: LessonAssignment,
    blocks: list[Block],
    history: list[AttemptBrief] | None = None,
) -> AssignmentStudentView:
    """The assignment as its student may see it; `row` comes from `load_assignment`, `blocks`
    are the version's blocks (`version_blocks`), `history` the submitted attempts (where the
    caller shows them)."""
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
            "history": history or [],
        }
    )


async def get_for_student(
    session: AsyncSession, actor: Actor, assignment_id: int, *, with_history: bool = True
) -> AssignmentStudentView:
    """The student's own assignment with the lesson as they may see it (no answer keys);
    `with_history=False` where only the blocks are needed (reading a posted player form: the
    autosave path) and the attempts need not be read."""
    require_role(actor, Role.STUDENT)
    row, assignment = await load_assignment(session, actor, assignment_id)
    if not with_history:
        return student_view(row, assignment, await version_blocks(session, actor, assignment))
    return await full_student_view(session, actor, row, assignment)


async def full_student_view(
    session: AsyncSession, actor: Actor, row: Any, assignment: LessonAssignment
) -> AssignmentStudentView:
    """The student's view with the version's blocks and the history of attempts."""
    blocks = await version_blocks(session, actor, assignment)
    history = await attempt_history.history(session, actor, assignment)
    return student_view(row, assignment, blocks, history)


async def attempt_for_student(
    session: AsyncSession, actor: Actor, assignment_id: int, attempt_no: int
) -> AttemptStudentView:
    """One of the student's submitted attempts, as it was answered (another's: NotFound)."""
    require_role(actor, Role.STUDENT)
    row, assignment = await load_assignment(session, actor, assignment_id)
    assert assignment.id is not None
    attempt = await session.scalar(repository.attempt_of(actor, assignment.id, attempt_no))
    if attempt is None:
        raise NotFound(N_("There is no such attempt"))
    content = await session.scalar(
        repository.VERSION_CONTENT,
        tenant_params(actor, lesson_id=assignment.lesson_id, version=attempt.lesson_version),
    )
    blocks = stored_blocks(content or [])
    graded = attempt.graded_at is not None
    revealed = None
    if graded and assignment.show_correct_answers:
        revealed = [revealed_block(block) for block in blocks if isinstance(block, QUESTION_TYPES)]
    return AttemptStudentView.model_validate(
        {
            **attempt_history.brief(attempt, assignment).model_dump(),
            "assignment_id": assignment.id,
            "lesson_title": row.lesson_title,
            "blocks": student_blocks(
                blocks, seed=assignment.id * 1000 + attempt_no, shuffle_options=row.shuffle_options
            ),
            "answers": attempt.answers or {},
            "results": [QuestionResultRead.model_validate(item) for item in attempt.results],
            "revealed": revealed,
        }
    )


async def get_for_teacher(
    session: AsyncSession, actor: Actor, assignment_id: int, attempt_no: int | None = None
) -> AssignmentTeacherView:
    """Everything about one assignment and one of its submitted attempts (`attempt_no`, by
    default the latest): that attempt's version, answers, grading and feedback, with every
    attempt listed. Before any submission: the current answers, nothing to grade."""
    require_role(actor, Role.TEACHER)
    row, assignment = await load_assignment(session, actor, assignment_id)
    assert assignment.id is not None
    attempts = await attempt_history.attempts_of(session, actor, assignment)
    wanted = attempt_no or assignment.attempts_used
    reviewed = next((item for item in attempts if item.attempt_no == wanted), None)
    if attempt_no is not None and reviewed is None:
        raise NotFound(N_("There is no such attempt"))
    version = assignment.lesson_version if reviewed is None else reviewed.lesson_version
    content = await session.scalar(
        repository.VERSION_CONTENT,
        tenant_params(actor, lesson_id=assignment.lesson_id, version=version),
    )
    if content is None:
        raise NotFound(N_("Lesson not found"))
    return AssignmentTeacherView.model_validate(
        {
            **summary_fields(row, now_utc(), assignment),
            "lesson_version": version,
            "content": stored_blocks(content),
            "reviewed_attempt_no": None if reviewed is None else reviewed.attempt_no,
            "answers": (assignment.answers if reviewed is None else reviewed.answers) or {},
            "results": (
                stored_results(assignment)
                if reviewed is None
                else [QuestionResultRead.model_validate(item) for item in reviewed.results]
            ),
            "feedback": assignment.feedback if reviewed is None else reviewed.feedback,
            "show_correct_answers": assignment.show_correct_answers,
            "score_overridden_by": assignment.score_overridden_by,
            "score_overridden_at": assignment.score_overridden_at,
            "attempts": [
                AttemptRead.model_validate(
                    {
                        **attempt.model_dump(),
                        "counted": attempt.attempt_no == assignment.counted_attempt_no,
                        "results": [
                            QuestionResultRead.model_validate(item) for item in attempt.results
                        ],
                    }
                )
                for attempt in attempts
            ],
        }
    )
