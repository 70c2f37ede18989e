"""How students are doing: one aggregate over their assignments, for a page of students at once.

The aggregate reads only `ix_lesson_assignments_student` (it carries status, due date and
scores), in the tenant's one partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, and_, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models.lms import AssignmentStatus, LessonAssignment
from app.schemas.users import StudentProgress
from app.services.lms.assignments import DONE, OPEN, now_utc

PERCENT = Decimal("0.1")

_status = col(LessonAssignment.status)
_PROGRESS = (
    select(
        col(LessonAssignment.student_id),
        func.count().label("assigned"),
        func.count().filter(_status.in_(DONE)).label("completed"),
        func.count()
        .filter(
            _status.in_(OPEN),
            col(LessonAssignment.due_at) < bindparam("now", type_=DateTime(timezone=True)),
        )
        .label("overdue"),
        func.avg(col(LessonAssignment.score) * 100 / col(LessonAssignment.max_score))
        .filter(and_(_status == AssignmentStatus.GRADED.value, col(LessonAssignment.max_score) > 0))
        .label("average_percent"),
    )
    .where(
        col(LessonAssignment.teacher_id) == bindparam("teacher_id"),
        col(LessonAssignment.student_id)
        == any_(bindparam("student_ids", type_=ARRAY(BigInteger()))),
    )
    .group_by(col(LessonAssignment.student_id))
)


async def progress_of(
    session: AsyncSession, teacher_id: int, student_ids: Sequence[int]
) -> dict[int, StudentProgress]:
    """Each listed student's progress (students with no assignments get zeros)."""
    found: dict[int, StudentProgress] = {}
    if student_ids:
        params: dict[str, Any] = {
            "teacher_id": teacher_id,
            "student_ids": list(student_ids),
            "now": now_utc(),
        }
        for row in await session.execute(_PROGRESS, params):
            average = row.average_percent
            found[row.student_id] = StudentProgress(
                assigned=row.assigned,
                completed=row.completed,
                overdue=row.overdue,
                average_percent=None if average is None else average.quantize(PERCENT),
            )
    return {student_id: found.get(student_id, StudentProgress()) for student_id in student_ids}
