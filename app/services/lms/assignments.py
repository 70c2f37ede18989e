"""Reading assignments: a student's own and a teacher's lists, one assignment as a student may
see it (no answer keys) or as its teacher sees it; the helpers the other assignment modules share.

Every query names `teacher_id` explicitly (plan-time pruning to one partition of
`lesson_assignments`) and RLS checks the same tenant again (run-time pruning, second wall).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.actor import Actor
from app.core.errors import NotFound
from app.core.i18n import N_
from app.models.lms import (
    AssignmentAttempt,
    AssignmentStatus,
    Lesson,
    LessonAssignment,
)
from app.models.users import Role, Student, User
from app.schemas.blocks import QUESTION_TYPES, Block
from app.schemas.lms import (
    AssignmentStudentView,
    AssignmentSummary,
    AssignmentTeacherView,
    AttemptRead,
    QuestionResultRead,
)
from app.services.lms.lessons import blocks_of, get_version
from app.services.lms.student_view import revealed_block, student_blocks
from app.services.paging import fetch_page
from app.services.scoping import require_role, student_profile_id, tenant_id

OPEN = (AssignmentStatus.ASSIGNED.value, AssignmentStatus.IN_PROGRESS.value)
DONE = (AssignmentStatus.SUBMITTED.value, AssignmentStatus.GRADED.value)


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- reading


def _summary_columns() -> list[Any]:
    return [
        LessonAssignment,
        col(Lesson.title),
        col(Lesson.attempt_limit),
        col(Lesson.block_count),
        col(User.surname),
        col(User.name),
    ]


def _summary_query(teacher_id: int) -> Any:
    return (
        select(*_summary_columns())
        .join(
            Lesson,
            and_(
                col(Lesson.teacher_id) == col(LessonAssignment.teacher_id),
                col(Lesson.id) == col(LessonAssignment.lesson_id),
            ),
        )
        .join(
            Student,
            and_(
                col(Student.teacher_id) == col(LessonAssignment.teacher_id),
                col(Student.id) == col(LessonAssignment.student_id),
            ),
        )
        .join(User, col(User.id) == col(Student.user_id))
        .where(col(LessonAssignment.teacher_id) == teacher_id)
    )


def summary_fields(row: Any, now: datetime) -> dict[str, Any]:
    assignment: LessonAssignment = row[0]
    overdue = (
        assignment.due_at is not None and assignment.due_at < now and assignment.status in OPEN
    )
    return {
        "id": assignment.id,
        "lesson_id": assignment.lesson_id,
        "lesson_title": row[1],
        "student_id": assignment.student_id,
        "student_name": f"{row[4]} {row[5]}",
        "student": {"id": assignment.student_id, "surname": row[4], "name": row[5]},
        "status": assignment.status,
        "due_at": assignment.due_at,
        "overdue": overdue,
        "score": assignment.score,
        "max_score": assignment.max_score,
        "attempts_used": assignment.attempts_used,
        "attempt_limit": row[2],
        "blocks_viewed": len(assignment.blocks_viewed or []),
        "block_count": int(row[3] or 0),
        "time_spent_seconds": assignment.time_spent_seconds,
        "assigned_at": assignment.assigned_at,
        "submitted_at": assignment.submitted_at,
        "graded_at": assignment.graded_at,
    }


BUCKETS = ("todo", "done", "overdue")


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
    teacher_id = tenant_id(actor)
    now = now_utc()
    stmt = _summary_query(teacher_id)
    if actor.role is Role.STUDENT:
        stmt = stmt.where(
            col(LessonAssignment.student_id) == await student_profile_id(session, actor)
        )
    elif student_id is not None:
        stmt = stmt.where(col(LessonAssignment.student_id) == student_id)
    if lesson_id is not None:
        stmt = stmt.where(col(LessonAssignment.lesson_id) == lesson_id)
    if status is not None:
        stmt = stmt.where(col(LessonAssignment.status) == status)
    order: list[Any] = [col(LessonAssignment.assigned_at).desc(), col(LessonAssignment.id).desc()]
    if bucket == "todo":
        stmt = stmt.where(col(LessonAssignment.status).in_(OPEN))
        order = [col(LessonAssignment.due_at).asc().nulls_last(), col(LessonAssignment.id)]
    elif bucket == "done":
        stmt = stmt.where(col(LessonAssignment.status).in_(DONE))
        order = [col(LessonAssignment.submitted_at).desc(), col(LessonAssignment.id).desc()]
    elif bucket == "overdue":
        stmt = stmt.where(
            col(LessonAssignment.status).in_(OPEN), col(LessonAssignment.due_at) < now
        )
        order = [col(LessonAssignment.due_at).asc(), col(LessonAssignment.id)]
    rows, total = await fetch_page(session, stmt.order_by(*order), limit=limit, offset=offset)
    items = [AssignmentSummary.model_validate(summary_fields(row, now)) for row in rows]
    return items, total


async def load_assignment(
    session: AsyncSession, actor: Actor, assignment_id: int, *, for_update: bool = False
) -> tuple[Any, LessonAssignment]:
    """The summary row and the assignment, if the actor may see it; NotFound otherwise."""
    require_role(actor, Role.TEACHER, Role.STUDENT)
    stmt = _summary_query(tenant_id(actor)).where(col(LessonAssignment.id) == assignment_id)
    if actor.role is Role.STUDENT:
        stmt = stmt.where(
            col(LessonAssignment.student_id) == await student_profile_id(session, actor)
        )
    if for_update:
        stmt = stmt.with_for_update(of=LessonAssignment)
    row = (await session.execute(stmt)).first()
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


async def version_blocks(session: AsyncSession, assignment: LessonAssignment) -> list[Block]:
    version = await get_version(
        session, assignment.teacher_id, assignment.lesson_id, assignment.lesson_version
    )
    return blocks_of(version)


async def lesson_of(session: AsyncSession, assignment: LessonAssignment) -> Lesson:
    lesson = await session.scalar(
        select(Lesson).where(
            col(Lesson.teacher_id) == assignment.teacher_id,
            col(Lesson.id) == assignment.lesson_id,
        )
    )
    if lesson is None:
        raise NotFound(N_("Lesson not found"))
    return lesson


async def student_view(
    session: AsyncSession, row: Any, assignment: LessonAssignment
) -> AssignmentStudentView:
    blocks = await version_blocks(session, assignment)
    lesson = await lesson_of(session, assignment)
    assert assignment.id is not None
    graded = assignment.status == AssignmentStatus.GRADED.value
    revealed = None
    if graded and assignment.show_correct_answers:
        revealed = [revealed_block(block) for block in blocks if isinstance(block, QUESTION_TYPES)]
    return AssignmentStudentView.model_validate(
        {
            **summary_fields(row, now_utc()),
            "attempt_no": current_attempt_no(assignment),
            "time_limit_minutes": lesson.time_limit_minutes,
            "started_at": assignment.started_at,
            "blocks": student_blocks(
                blocks,
                seed=assignment.id * 1000 + current_attempt_no(assignment),
                shuffle_options=lesson.shuffle_options,
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
    return await student_view(session, row, assignment)


async def get_for_teacher(
    session: AsyncSession, actor: Actor, assignment_id: int
) -> AssignmentTeacherView:
    """Everything about one assignment: the version answered, answers, attempts, grading."""
    require_role(actor, Role.TEACHER)
    row, assignment = await load_assignment(session, actor, assignment_id)
    blocks = await version_blocks(session, assignment)
    attempts = await session.scalars(
        select(AssignmentAttempt)
        .where(
            col(AssignmentAttempt.teacher_id) == assignment.teacher_id,
            col(AssignmentAttempt.assignment_id) == assignment.id,
        )
        .order_by(col(AssignmentAttempt.attempt_no))
    )
    return AssignmentTeacherView.model_validate(
        {
            **summary_fields(row, now_utc()),
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
