"""Giving a lesson to students and groups: one statement for the whole batch."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import InvalidInput
from app.core.i18n import N_
from app.models.lms import (
    LessonStatus,
)
from app.models.users import Role
from app.schemas.lms import (
    AssignRequest,
    AssignResult,
)
from app.services.lms.groups import check_groups, check_students
from app.services.lms.lessons import get_owned_lesson
from app.services.scoping import require_role, tenant_id

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
