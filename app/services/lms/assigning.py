"""Giving a lesson to students and groups (one statement for the whole batch), moving due dates
and taking a lesson back from a student who has not handed anything in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.clock import now_utc
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.i18n import N_
from app.models.lms import AssignmentStatus, LessonAssignment, LessonStatus
from app.models.users import Role
from app.schemas.lms import AssignRequest, AssignResult, DueDateChange, DueDateChanged
from app.services.lms import repository
from app.services.lms.groups import check_groups, check_students
from app.services.lms.lessons import get_owned_lesson
from app.services.scoping import require_role

PAST_DUE = N_(
    "This due date has already passed. Choose a later one, or confirm that you want a date"
    " in the past."
)
HAS_WORK = N_(
    "The student has already handed in work for this lesson: it is kept, so the lesson cannot"
    " be taken back. Change the due date instead."
)
ASSIGNMENT_NOT_FOUND = N_("Assignment not found")


def check_due_at(due_at: datetime | None, *, allow_past: bool) -> None:
    """A due date needs a time zone; one that has passed only when the teacher confirms it."""
    if due_at is None:
        return
    if due_at.tzinfo is None:
        raise InvalidInput(N_("Give the due date with a time zone"), field="due_at")
    if due_at < now_utc() and not allow_past:
        raise InvalidInput(PAST_DUE, field="due_at")


async def assign(session: AsyncSession, actor: Actor, data: AssignRequest) -> AssignResult:
    """Give a lesson to students and groups in one statement; repeating it changes nothing.

    The chosen students and the members of the chosen groups get one assignment each (a student
    in several groups too); anyone who already has this lesson is counted, not changed — their
    due date too, unless `update_due_at` asks for it. A past due date is InvalidInput unless
    `allow_past`.
    """
    require_role(actor, Role.TEACHER)
    if not data.student_ids and not data.group_ids:
        raise InvalidInput(N_("Choose at least one student or group"), field="student_ids")
    lesson = await get_owned_lesson(session, actor, data.lesson_id)
    if lesson.status == LessonStatus.ARCHIVED.value:
        raise InvalidInput(N_("This lesson is archived"), field="lesson_id")
    await check_students(session, actor, data.student_ids)
    await check_groups(session, actor, data.group_ids)
    check_due_at(data.due_at, allow_past=data.allow_past)
    assert lesson.id is not None
    row = (
        await session.execute(
            repository.assign_lesson(
                actor,
                lesson_id=lesson.id,
                version=lesson.version,
                max_score=lesson.max_score,
                due_at=data.due_at,
                student_ids=data.student_ids,
                group_ids=data.group_ids,
            )
        )
    ).one()
    created = sorted(row.created or [])
    other_due = await session.scalars(
        repository.already_assigned_other_due(
            actor,
            lesson_id=lesson.id,
            due_at=data.due_at,
            student_ids=data.student_ids,
            group_ids=data.group_ids,
            exclude_ids=created,
            update=data.update_due_at,
        )
    )
    differing = len(other_due.all())
    return AssignResult(
        created=len(created),
        already_assigned=int(row.targets) - len(created),
        assignment_ids=created,
        due_updated=differing if data.update_due_at else 0,
        due_kept=0 if data.update_due_at else differing,
    )


async def change_due_date(
    session: AsyncSession,
    actor: Actor,
    data: DueDateChange,
    *,
    lesson_id: int | None = None,
    assignment_id: int | None = None,
) -> DueDateChanged:
    """Move the due date of one assignment, or of everyone who has the lesson (null clears it).
    NotFound for another teacher's lesson or assignment; a past date as in `assign`."""
    require_role(actor, Role.TEACHER)
    if lesson_id is not None:
        await get_owned_lesson(session, actor, lesson_id)
    check_due_at(data.due_at, allow_past=data.allow_past)
    stmt = repository.set_due_date(
        actor, data.due_at, lesson_id=lesson_id, assignment_id=assignment_id
    )
    changed = (await session.scalars(stmt)).all()
    if assignment_id is not None and not changed:
        raise NotFound(ASSIGNMENT_NOT_FOUND)
    return DueDateChanged(updated=len(changed), due_at=data.due_at)


async def _locked_assignment(
    session: AsyncSession, actor: Actor, assignment_id: int, lesson_id: int | None
) -> LessonAssignment:
    stmt = repository.assignment_row(actor, assignment_id, for_update=True)
    assignment = (await session.scalars(stmt)).one_or_none()
    if assignment is None or (lesson_id is not None and assignment.lesson_id != lesson_id):
        raise NotFound(ASSIGNMENT_NOT_FOUND)
    return assignment


async def unassign(
    session: AsyncSession, actor: Actor, assignment_id: int, *, lesson_id: int | None = None
) -> None:
    """Take a lesson back from a student. Only while nothing was handed in: an assignment with
    a submitted attempt (or submitted, graded) is Conflict and stays, so no work is ever lost.
    Answers saved but not submitted go with it (the confirmation says so)."""
    require_role(actor, Role.TEACHER)
    assignment = await _locked_assignment(session, actor, assignment_id, lesson_id)
    done = (AssignmentStatus.SUBMITTED.value, AssignmentStatus.GRADED.value)
    handed_in = assignment.status in done or assignment.attempts_used > 0
    if handed_in or await session.scalar(repository.assignment_has_attempts(actor, assignment_id)):
        raise Conflict(HAS_WORK)
    result = await session.execute(repository.delete_assignment(actor, assignment_id))
    if not getattr(result, "rowcount", 0):
        raise Conflict(HAS_WORK)
