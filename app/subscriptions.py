"""Who listens to which domain event: the one place subscriptions are made.

`create_app`, the CLI and the job worker call `subscribe_all` on the bus of the database they
open, so a handler runs wherever the event can happen and nothing subscribes by being imported.
"""

from __future__ import annotations

from app.core.events import EventBus


def subscribe_all(bus: EventBus) -> EventBus:
    # Rewards (issue 21) subscribes here, e.g.
    # bus.subscribe(AssignmentEvent, reward_service.on_assignment_event)
    return bus
