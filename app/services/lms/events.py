"""The LMS's one outward event: an assignment was submitted or graded.

Published inside the same transaction as the change (`app.core.events`), so a subscriber's
writes commit or roll back together with the grade. The rewards feature will subscribe in
`app.subscriptions`; nothing else needs to know where grading happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.events import publish

EventKind = Literal["submitted", "graded"]


@dataclass(frozen=True, slots=True)
class AssignmentEvent:
    kind: EventKind
    teacher_id: int
    assignment_id: int
    student_id: int
    lesson_id: int
    attempt_no: int
    score: Decimal | None
    max_score: Decimal

    @property
    def idempotency_key(self) -> str:
        """(tenant, assignment, attempt, kind): one key per attempt and kind. A changed grade of
        the same attempt carries the same key, so a ledger keyed by it pays an attempt once
        and adjusts, never pays again."""
        return (
            f"lms.assignment:{self.teacher_id}:{self.assignment_id}:{self.attempt_no}:{self.kind}"
        )


async def emit(session: AsyncSession, event: AssignmentEvent) -> None:
    await publish(session, event)
