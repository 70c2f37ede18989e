"""Giving a lesson to students and groups: one statement for the whole batch."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import InvalidInput
from app.core.i18n import N_
from app.models.lms import LessonStatus
from app.models.users import Role
from app.schemas.lms import AssignRequest, AssignResult
from app.services.lms import repository
from app.services.lms.groups import check_groups, check_students
from app.services.lms.lessons import get_owned_lesson
from app.services.scoping import require_role


async def assign(session: AsyncSession, actor: Actor, data: AssignRequest) -> AssignResult:
    """Give a lesson to students and groups in one statement; repeating it changes nothing.

    The chosen students and the members of the chosen groups get one assignment each (a student
    in several groups too); anyone who already has this lesson is counted, not changed.
    """
    require_role(actor, Role.TEACHER)
    if not data.student_ids and not data.group_ids:
        raise InvalidInput(N_("Choose at least one student or group"), field="student_ids")
    lesson = await get_owned_lesson(session, actor, data.lesson_id)
    if lesson.status == LessonStatus.ARCHIVED.value:
        raise InvalidInput(N_("This lesson is archived"), field="lesson_id")
    await check_students(session, actor, data.student_ids)
    await check_groups(session, actor, data.group_ids)
    if data.due_at is not None and data.due_at.tzinfo is None:
        raise InvalidInput(N_("Give the due date with a time zone"), field="due_at")
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
    return AssignResult(
        created=len(created),
        already_assigned=int(row.targets) - len(created),
        assignment_ids=created,
    )
