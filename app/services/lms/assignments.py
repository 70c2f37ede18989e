"""Assignments: giving lessons to students, the student's progress and submission, grading.

Every query names `teacher_id` explicitly (plan-time pruning to one partition of
`lesson_assignments`) and RLS checks the same tenant again (run-time pruning, second wall).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.actor import Actor
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.i18n import N_
from app.models.lms import (
    AssignmentAttempt,
    AssignmentStatus,
    Lesson,
    LessonAssignment,
    LessonStatus,
    ScoreOverride,
)
from app.models.users import Role, Student, User
from app.schemas.blocks import QUESTION_TYPES, Block
from app.schemas.lms import (
    AssignmentStudentView,
    AssignmentSummary,
    AssignmentTeacherView,
    AssignRequest,
    AssignResult,
    AttemptRead,
    GradeRequest,
    QuestionResultRead,
    SaveProgress,
    SubmitRequest,
)
from app.services.lms import events
from app.services.lms.grading import CENT, grade_answers
from app.services.lms.groups import check_groups, check_students
from app.services.lms.lessons import blocks_of, get_owned_lesson, get_version
from app.services.lms.student_view import revealed_block, student_blocks
from app.services.scoping import require_role, student_profile_id, tenant_id

OPEN = (AssignmentStatus.ASSIGNED.value, AssignmentStatus.IN_PROGRESS.value)
DONE = (AssignmentStatus.SUBMITTED.value, AssignmentStatus.GRADED.value)
# Autosaves in flight when the timer runs out still count.
TIME_LIMIT_GRACE = timedelta(seconds=30)


def _now() -> datetime:
    return datetime.now(UTC)


# --- assigning

# One statement for the whole batch: the chosen students and the members of the chosen groups
# (a student in several gets one assignment), skipping anyone who already has this lesson.
_ASSIGN = text(
    """
    WITH targets AS (
        SELECT s.id AS student_id, NULL::bigint AS group_id
        FROM students s
        WHERE s.teacher_id = :teacher_id AND s.id = ANY(CAST(:student_ids AS bigint[]))
        UNION ALL
        SELECT m.student_id, m.group_id
        FROM student_group_members m
        WHERE m.teacher_id = :teacher_id AND m.group_id = ANY(CAST(:group_ids AS bigint[]))
    ), picked AS (
        SELECT DISTINCT ON (student_id) student_id, group_id
        FROM targets ORDER BY student_id, group_id NULLS FIRST
    )
    INSERT INTO lesson_assignments
        (teacher_id, lesson_id, student_id, group_id, lesson_version, status, due_at, max_score)
    SELECT :teacher_id, :lesson_id, p.student_id, p.group_id, :version, 'assigned', :due_at,
           :max_score
    FROM picked p
    ON CONFLICT (teacher_id, lesson_id, student_id) DO NOTHING
    RETURNING id
    """
)


async def assign(session: AsyncSession, actor: Actor, data: AssignRequest) -> AssignResult:
    """Give a lesson to students and groups in one statement; repeating it changes nothing."""
    require_role(actor, Role.TEACHER)
    teacher_id = tenant_id(actor)
    if not data.student_ids and not data.group_ids:
        raise InvalidInput(N_("Choose at least one student or group"), field="student_ids")
    lesson = await get_owned_lesson(session, actor, data.lesson_id)
    if lesson.status == LessonStatus.ARCHIVED.value:
        raise InvalidInput(N_("This lesson is archived"), field="lesson_id")
    await check_students(session, teacher_id, data.student_ids)
    await check_groups(session, teacher_id, data.group_ids)
    if data.due_at is not None and data.due_at.tzinfo is None:
        raise InvalidInput(N_("Give the due date with a time zone"), field="due_at")
    rows = await session.execute(
        _ASSIGN,
        {
            "teacher_id": teacher_id,
            "lesson_id": lesson.id,
            "student_ids": data.student_ids,
            "group_ids": data.group_ids,
            "version": lesson.version,
            "due_at": data.due_at,
            "max_score": lesson.max_score,
        },
    )
    created = [row[0] for row in rows.all()]
    targets = await session.scalar(
        text(
            "SELECT count(DISTINCT student_id) FROM ("
            " SELECT s.id AS student_id FROM students s"
            " WHERE s.teacher_id = :t AND s.id = ANY(CAST(:s AS bigint[]))"
            " UNION ALL SELECT m.student_id FROM student_group_members m"
            " WHERE m.teacher_id = :t AND m.group_id = ANY(CAST(:g AS bigint[]))) x"
        ),
        {"t": teacher_id, "s": data.student_ids, "g": data.group_ids},
    )
    return AssignResult(
        created=len(created),
        already_assigned=int(targets or 0) - len(created),
        assignment_ids=sorted(created),
    )


# --- reading


def _summary_columns() -> list[Any]:
    return [
        LessonAssignment,
        col(Lesson.title),
        col(Lesson.attempt_limit),
        func.jsonb_array_length(col(Lesson.content)),
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


def _summary(row: Any, now: datetime) -> dict[str, Any]:
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
    now = _now()
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
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = await session.execute(stmt.order_by(*order).limit(limit).offset(offset))
    items = [AssignmentSummary.model_validate(_summary(row, now)) for row in rows.all()]
    return items, int(total or 0)


async def _load(
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


def _results(assignment: LessonAssignment) -> list[QuestionResultRead] | None:
    if assignment.results is None:
        return None
    return [QuestionResultRead.model_validate(item) for item in assignment.results]


def _current_attempt_no(assignment: LessonAssignment) -> int:
    if assignment.status in OPEN:
        return assignment.attempts_used + 1
    return assignment.attempts_used


async def _blocks(session: AsyncSession, assignment: LessonAssignment) -> list[Block]:
    version = await get_version(
        session, assignment.teacher_id, assignment.lesson_id, assignment.lesson_version
    )
    return blocks_of(version)


async def _lesson_settings(session: AsyncSession, assignment: LessonAssignment) -> Lesson:
    lesson = await session.scalar(
        select(Lesson).where(
            col(Lesson.teacher_id) == assignment.teacher_id,
            col(Lesson.id) == assignment.lesson_id,
        )
    )
    if lesson is None:
        raise NotFound(N_("Lesson not found"))
    return lesson


async def _student_view(
    session: AsyncSession, row: Any, assignment: LessonAssignment
) -> AssignmentStudentView:
    blocks = await _blocks(session, assignment)
    lesson = await _lesson_settings(session, assignment)
    assert assignment.id is not None
    graded = assignment.status == AssignmentStatus.GRADED.value
    revealed = None
    if graded and assignment.show_correct_answers:
        revealed = [revealed_block(block) for block in blocks if isinstance(block, QUESTION_TYPES)]
    return AssignmentStudentView.model_validate(
        {
            **_summary(row, _now()),
            "attempt_no": _current_attempt_no(assignment),
            "time_limit_minutes": lesson.time_limit_minutes,
            "started_at": assignment.started_at,
            "blocks": student_blocks(
                blocks,
                seed=assignment.id * 1000 + _current_attempt_no(assignment),
                shuffle_options=lesson.shuffle_options,
            ),
            "answers": assignment.answers or {},
            # Per-question points only once submitted; keys only if the teacher shows them.
            "results": _results(assignment) if assignment.status in DONE else None,
            "feedback": assignment.feedback if graded else None,
            "revealed": revealed,
        }
    )


async def get_for_student(
    session: AsyncSession, actor: Actor, assignment_id: int
) -> AssignmentStudentView:
    """The student's own assignment with the lesson as they may see it (no answer keys)."""
    require_role(actor, Role.STUDENT)
    row, assignment = await _load(session, actor, assignment_id)
    return await _student_view(session, row, assignment)


async def get_for_teacher(
    session: AsyncSession, actor: Actor, assignment_id: int
) -> AssignmentTeacherView:
    """Everything about one assignment: the version answered, answers, attempts, grading."""
    require_role(actor, Role.TEACHER)
    row, assignment = await _load(session, actor, assignment_id)
    blocks = await _blocks(session, assignment)
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
            **_summary(row, _now()),
            "lesson_version": assignment.lesson_version,
            "content": blocks,
            "answers": assignment.answers or {},
            "results": _results(assignment),
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


# --- the student's work


def _time_is_up(assignment: LessonAssignment, lesson: Lesson, now: datetime) -> bool:
    if lesson.time_limit_minutes is None or assignment.started_at is None:
        return False
    deadline = assignment.started_at + timedelta(minutes=lesson.time_limit_minutes)
    return now > deadline + TIME_LIMIT_GRACE


def _known_answers(blocks: list[Block], answers: dict[str, Any]) -> dict[str, Any]:
    """Answers to this lesson's questions only; anything else is dropped, never stored."""
    question_ids = {block.id for block in blocks if isinstance(block, QUESTION_TYPES)}
    return {key: value for key, value in answers.items() if key in question_ids}


async def save_progress(
    session: AsyncSession, actor: Actor, assignment_id: int, data: SaveProgress
) -> AssignmentStudentView:
    """Autosave: merge the answers, remember the blocks seen, add the time spent."""
    require_role(actor, Role.STUDENT)
    row, assignment = await _load(session, actor, assignment_id, for_update=True)
    if assignment.status not in OPEN:
        raise Conflict(N_("This attempt is already submitted"))
    lesson = await _lesson_settings(session, assignment)
    now = _now()
    if _time_is_up(assignment, lesson, now):
        raise Conflict(N_("Time is up: submit what you have saved"))
    blocks = await _blocks(session, assignment)
    if data.answers:
        assignment.answers = {
            **(assignment.answers or {}),
            **_known_answers(blocks, data.answers),
        }
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
    return await _student_view(session, row, assignment)


def _total(results: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(item["points"]) for item in results), Decimal(0)).quantize(CENT)


async def _emit(
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
    row, assignment = await _load(session, actor, assignment_id, for_update=True)
    current = _current_attempt_no(assignment)
    if data.attempt_no is not None and data.attempt_no > current:
        raise Conflict(N_("There is no such attempt"))
    already_submitted = (
        data.attempt_no is not None and data.attempt_no <= assignment.attempts_used
    ) or (data.attempt_no is None and assignment.status in DONE)
    if already_submitted:
        return await _student_view(session, row, assignment)

    lesson = await _lesson_settings(session, assignment)
    blocks = await _blocks(session, assignment)
    now = _now()
    answers = dict(assignment.answers or {})
    if data.answers and not _time_is_up(assignment, lesson, now):
        answers.update(_known_answers(blocks, data.answers))
    results = [result.as_json() for result in grade_answers(blocks, answers)]
    score = _total(results)
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
    await _emit(session, "submitted", assignment)
    if not pending:
        await _emit(session, "graded", assignment)
    return await _student_view(session, row, assignment)


async def start_new_attempt(
    session: AsyncSession, actor: Actor, assignment_id: int
) -> AssignmentStudentView:
    """Begin another attempt (if the lesson allows more) on the lesson's current version."""
    require_role(actor, Role.STUDENT)
    row, assignment = await _load(session, actor, assignment_id, for_update=True)
    if assignment.status in OPEN:
        return await _student_view(session, row, assignment)
    # The teacher grades the latest attempt: starting another would leave this one's essays
    # ungradable.
    if assignment.status == AssignmentStatus.SUBMITTED.value:
        raise Conflict(N_("Your last attempt is waiting for the teacher's grade"))
    lesson = await _lesson_settings(session, assignment)
    if lesson.attempt_limit is not None and assignment.attempts_used >= lesson.attempt_limit:
        raise Conflict(N_("No attempts left"))
    if lesson.status == LessonStatus.ARCHIVED.value:
        raise Conflict(N_("This lesson is archived"))
    now = _now()
    assignment.lesson_version = lesson.version
    assignment.max_score = lesson.max_score
    assignment.status = AssignmentStatus.IN_PROGRESS.value
    assignment.answers = {}
    assignment.blocks_viewed = []
    assignment.started_at = now
    assignment.updated_at = now
    # Score, results and feedback of the last attempt stay visible until this one is submitted.
    await session.flush()
    return await _student_view(session, row, assignment)


# --- grading


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
    _, assignment = await _load(session, actor, assignment_id, for_update=True)
    if assignment.status not in DONE:
        raise Conflict(N_("Nothing to grade yet: the student has not submitted"))
    attempt = await session.scalar(
        select(AssignmentAttempt)
        .where(
            col(AssignmentAttempt.teacher_id) == assignment.teacher_id,
            col(AssignmentAttempt.assignment_id) == assignment.id,
            col(AssignmentAttempt.attempt_no) == assignment.attempts_used,
        )
        .with_for_update()
    )
    if attempt is None:
        raise NotFound(N_("Assignment not found"))
    results = [dict(item) for item in attempt.results]
    by_block = {item["block_id"]: item for item in results}
    now = _now()
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
    score = _total(results)
    pending = any(item["outcome"] == "pending" for item in results)
    attempt.results = results
    attempt.score = score
    assignment.results = results
    assignment.score = score
    if changed:
        assignment.score_overridden_by = actor.user_id
        assignment.score_overridden_at = now
    if data.feedback is not None:
        assignment.feedback = data.feedback or None
    if data.show_correct_answers is not None:
        assignment.show_correct_answers = data.show_correct_answers
    # "graded" is emitted once per real change of the grade (the first grade, or new points),
    # never for feedback-only edits: subscribers such as rewards pay per event.
    newly_graded = not pending and (assignment.status != AssignmentStatus.GRADED.value or changed)
    if not pending:
        assignment.status = AssignmentStatus.GRADED.value
        assignment.graded_at = assignment.graded_at if not changed and assignment.graded_at else now
        attempt.graded_at = attempt.graded_at or now
    assignment.updated_at = now
    await session.flush()
    if newly_graded:
        await _emit(session, "graded", assignment)
    return await get_for_teacher(session, actor, assignment_id)
