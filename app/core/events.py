"""Domain events, published inside the transaction that causes them.

A handler runs in the publishing transaction, so what it writes (rewards: points, coins, ledger
rows) commits or rolls back together with the change. Who listens is decided once at start-up
(`app.subscriptions`), never by importing a module: each `Database` carries its own bus, and
every session it opens carries that bus to `publish`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

BUS_KEY = "event_bus"


class Event(Protocol):
    @property
    def idempotency_key(self) -> str:
        """The same for every delivery of one real-world occurrence: a subscriber that pays or
        counts stores it with a unique constraint, so a retried request never counts twice."""
        ...


E = TypeVar("E", bound=Event)
Handler = Callable[[AsyncSession, Any], Awaitable[None]]


class EventBus:
    """Handlers by event type, in subscription order."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = {}

    def subscribe(
        self, event_type: type[E], handler: Callable[[AsyncSession, E], Awaitable[None]]
    ) -> None:
        handlers = self._handlers.setdefault(event_type, [])
        if handler not in handlers:
            handlers.append(handler)

    def unsubscribe(self, event_type: type, handler: Handler) -> None:
        handlers = self._handlers.get(event_type, [])
        if handler in handlers:
            handlers.remove(handler)

    def handlers(self, event_type: type) -> tuple[Handler, ...]:
        return tuple(self._handlers.get(event_type, ()))


async def publish(session: AsyncSession, event: Event) -> None:
    """Run every handler of `event`'s type in this session's transaction."""
    bus: EventBus = session.info[BUS_KEY]
    for handler in bus.handlers(type(event)):
        await handler(session, event)
