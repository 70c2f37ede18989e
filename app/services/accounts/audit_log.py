"""Reading the audit log (`app.services.audit` writes it): the superuser sees every event, a
teacher their tenant's (their own and their students'), a student nothing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.i18n import gettext_for
from app.models.users import Role
from app.schemas.accounts import AuditEventRead
from app.services.accounts import repository
from app.services.audit import EVENT_LABELS, AuditEventType
from app.services.paging import fetch_page
from app.services.scoping import require_role


def event_label(event: str, language: str) -> str:
    """The event in words in `language` (an unknown kind, from a newer version, as it is)."""
    try:
        return gettext_for(language, EVENT_LABELS[AuditEventType(event)])
    except (ValueError, KeyError):
        return event


async def list_events(
    session: AsyncSession,
    actor: Actor,
    *,
    language: str,
    limit: int,
    offset: int,
    event: AuditEventType | None = None,
    user_id: int | None = None,
) -> tuple[list[AuditEventRead], int]:
    """A page of the events the actor may see, newest first. Superuser or teacher only."""
    require_role(actor, Role.SUPERUSER, Role.TEACHER)
    stmt = repository.audit_event_list(
        actor,
        platform_wide=actor.role is Role.SUPERUSER,
        event=event.value if event is not None else None,
        user_id=user_id,
    )
    rows, total = await fetch_page(session, stmt, limit=limit, offset=offset)
    items = [
        AuditEventRead.model_validate(
            {
                **row[0].model_dump(),
                "label": event_label(row[0].event, language),
                "actor_name": row.actor_name,
                "subject_name": row.subject_name,
            }
        )
        for row in rows
    ]
    return items, total
