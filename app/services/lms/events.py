"""The LMS's one outward event: an assignment was submitted or graded.

Emitted inside the same transaction as the change, so a subscriber's writes (rewards: points,
coins, ledger rows) commit or roll back together with the grade. The rewards feature subscribes;
nothing else needs to know where grading happens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

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


Handler = Callable[[AsyncSession, AssignmentEvent], Awaitable[None]]
_handlers: list[Handler] = []


def subscribe(handler: Handler) -> Handler:
    """Register a handler (usable as a decorator); it runs in the emitting transaction."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def unsubscribe(handler: Handler) -> None:
    if handler in _handlers:
        _handlers.remove(handler)


async def emit(session: AsyncSession, event: AssignmentEvent) -> None:
    for handler in list(_handlers):
        await handler(session, event)
