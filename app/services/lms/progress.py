"""How students are doing: one aggregate over their assignments, for a page of students at once
(the statement is the repository's `STUDENT_PROGRESS`, one index, one partition)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.clock import now_utc
from app.schemas.accounts import StudentProgress
from app.services.lms import repository
from app.services.scoping import tenant_params

PERCENT = Decimal("0.1")


async def progress_of(
    session: AsyncSession, actor: Actor, student_ids: Sequence[int]
) -> dict[int, StudentProgress]:
    """Each listed student of the actor's tenant with their progress (none yet: zeros)."""
    found: dict[int, StudentProgress] = {}
    if student_ids:
        params = tenant_params(actor, student_ids=list(student_ids), now=now_utc())
        for row in await session.execute(repository.STUDENT_PROGRESS, params):
            average = row.average_percent
            found[row.student_id] = StudentProgress(
                assigned=row.assigned,
                completed=row.completed,
                overdue=row.overdue,
                average_percent=None if average is None else average.quantize(PERCENT),
            )
    return {student_id: found.get(student_id, StudentProgress()) for student_id in student_ids}
