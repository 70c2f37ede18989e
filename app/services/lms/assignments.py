"""Reading assignments: a student's own and a teacher's lists, one assignment as a student may
see it (no answer keys) or as its teacher sees it; the helpers the other assignment modules share.

Every query names `teacher_id` explicitly (plan-time pruning to one partition of
`lesson_assignments`) and RLS checks the same tenant again (run-time pruning, second wall).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Select, and_, bindparam, func, select
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
    LessonVersion,
)
from app.models.users import Role, Student, User
from app.schemas.blocks import QUESTION_TYPES, Block, content_adapter
from app.schemas.lms import (
    AssignmentStudentView,
    AssignmentSummary,
    AssignmentTeacherView,
    AttemptRead,
    QuestionResultRead,
)
from app.services.lms.student_view import revealed_block, student_blocks
from app.services.paging import fetch_page, paged
from app.services.scoping import require_role, student_profile_id, tenant_id

OPEN = (AssignmentStatus.ASSIGNED.value, AssignmentStatus.IN_PROGRESS.value)
DONE = (AssignmentStatus.SUBMITTED.value, AssignmentStatus.GRADED.value)


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- reading
#
# The hot reads are built once per shape (functools.cache) with bind parameters, so a request
# neither rebuilds the statement nor recomputes its cache key; lists select only the columns a
# summary shows (never the answers or results JSON).

_ASSIGNMENT_COLUMNS: tuple[Any, ...] = (
    col(LessonAssignment.id),
    col(LessonAssignment.lesson_id),
    col(LessonAssignment.student_id),
    col(LessonAssignment.status),
    col(LessonAssignment.due_at),
    col(LessonAssignment.score),
    col(LessonAssignment.max_score),
    col(LessonAssignment.attempts_used),
    func.jsonb_array_length(col(LessonAssignment.blocks_viewed)).label("blocks_viewed"),
    col(LessonAssignment.time_spent_seconds),
    col(LessonAssignment.assigned_at),
    col(LessonAssignment.submitted_at),
    col(LessonAssignment.graded_at),
)
_LESSON_AND_STUDENT_COLUMNS: tuple[Any, ...] = (
    col(Lesson.title).label("lesson_title"),
    col(Lesson.attempt_limit),
    col(Lesson.block_count),
    col(User.surname),
    col(User.name),
)
_SUMMARY_COLUMNS = _ASSIGNMENT_COLUMNS + _LESSON_AND_STUDENT_COLUMNS
# What a single assignment's work needs of its lesson besides the summary (no second query).
_LESSON_SETTINGS_COLUMNS: tuple[Any, ...] = (
    col(Lesson.time_limit_minutes),
    col(Lesson.shuffle_options),
    col(Lesson.status).label("lesson_status"),
    col(Lesson.version).label("lesson_current_version"),
    col(Lesson.max_score).label("lesson_max_score"),
)


def _summary_query(*columns: Any) -> Any:
    return (
        select(*columns)
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
        .where(col(LessonAssignment.teacher_id) == bindparam("teacher_id"))
    )


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


BUCKETS = ("todo", "done", "overdue")


@functools.cache
def _list_statement(
    bucket: str | None, by_student: bool, by_lesson: bool, by_status: bool
) -> Select:
    """One shape of the assignment list; the values come as bind parameters."""
    stmt = _summary_query(*_SUMMARY_COLUMNS)
    if by_student:
        stmt = stmt.where(col(LessonAssignment.student_id) == bindparam("student_id"))
    if by_lesson:
        stmt = stmt.where(col(LessonAssignment.lesson_id) == bindparam("lesson_id"))
    if by_status:
        stmt = stmt.where(col(LessonAssignment.status) == bindparam("status"))
    order: list[Any] = [col(LessonAssignment.assigned_at).desc(), col(LessonAssignment.id).desc()]
    if bucket == "todo":
        stmt = stmt.where(col(LessonAssignment.status).in_(OPEN))
        order = [col(LessonAssignment.due_at).asc().nulls_last(), col(LessonAssignment.id)]
    elif bucket == "done":
        stmt = stmt.where(col(LessonAssignment.status).in_(DONE))
        order = [col(LessonAssignment.submitted_at).desc(), col(LessonAssignment.id).desc()]
    elif bucket == "overdue":
        stmt = stmt.where(
            col(LessonAssignment.status).in_(OPEN),
            col(LessonAssignment.due_at) < bindparam("now", type_=DateTime(timezone=True)),
        )
        order = [col(LessonAssignment.due_at).asc(), col(LessonAssignment.id)]
    return paged(stmt.order_by(*order))


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
    params: dict[str, Any] = {"teacher_id": tenant_id(actor), "now": now}
    if actor.role is Role.STUDENT:
        student_id = await student_profile_id(session, actor)
    if student_id is not None:
        params["student_id"] = student_id
    if lesson_id is not None:
        params["lesson_id"] = lesson_id
    if status is not None:
        params["status"] = status
    stmt = _list_statement(
        bucket, student_id is not None, lesson_id is not None, status is not None
    )
    rows, total = await fetch_page(session, stmt, params, limit=limit, offset=offset)
    items = [AssignmentSummary.model_validate(summary_fields(row, now)) for row in rows]
    return items, total


@functools.cache
def _one_statement(for_student: bool, for_update: bool) -> Select:
    columns = (LessonAssignment, *_LESSON_AND_STUDENT_COLUMNS, *_LESSON_SETTINGS_COLUMNS)
    stmt = _summary_query(*columns).where(col(LessonAssignment.id) == bindparam("assignment_id"))
    if for_student:
        stmt = stmt.where(col(LessonAssignment.student_id) == bindparam("student_id"))
    if for_update:
        stmt = stmt.with_for_update(of=LessonAssignment)
    return stmt


async def load_assignment(
    session: AsyncSession, actor: Actor, assignment_id: int, *, for_update: bool = False
) -> tuple[Any, LessonAssignment]:
    """The summary row (with the lesson's settings) and the assignment, if the actor may see it;
    NotFound otherwise."""
    require_role(actor, Role.TEACHER, Role.STUDENT)
    params: dict[str, Any] = {"teacher_id": tenant_id(actor), "assignment_id": assignment_id}
    for_student = actor.role is Role.STUDENT
    if for_student:
        params["student_id"] = await student_profile_id(session, actor)
    row = (await session.execute(_one_statement(for_student, for_update), params)).first()
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


_VERSION_CONTENT = select(col(LessonVersion.content)).where(
    col(LessonVersion.teacher_id) == bindparam("teacher_id"),
    col(LessonVersion.lesson_id) == bindparam("lesson_id"),
    col(LessonVersion.version) == bindparam("version"),
)


async def version_blocks(session: AsyncSession, assignment: LessonAssignment) -> list[Block]:
    """The blocks of the lesson version the assignment's current attempt answers."""
    content = await session.scalar(
        _VERSION_CONTENT,
        {
            "teacher_id": assignment.teacher_id,
            "lesson_id": assignment.lesson_id,
            "version": assignment.lesson_version,
        },
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
    return student_view(row, assignment, await version_blocks(session, assignment))


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
