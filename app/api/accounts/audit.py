"""The audit log of security events (JSON): the superuser's is the platform's, a teacher's their
own and their students' events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.api.deps import CurrentActor, IdQuery, PaginationDep, SessionDep
from app.api.templating import language_of
from app.schemas.accounts import AuditEventRead
from app.schemas.common import Page
from app.services.accounts import audit_log
from app.services.audit import AuditEventType

router = APIRouter(prefix="/audit-events", tags=["audit"])

EventQuery = Annotated[AuditEventType | None, Query(description="Only events of this kind")]


@router.get("", response_model=Page[AuditEventRead])
async def list_audit_events(
    request: Request,
    actor: CurrentActor,
    session: SessionDep,
    page: PaginationDep,
    event: EventQuery = None,
    user_id: IdQuery = None,
) -> Page[AuditEventRead]:
    """Security events, newest first; `user_id` keeps those the user did or that concern them.
    Superuser and teachers only (a student gets 403)."""
    items, total = await audit_log.list_events(
        session,
        actor,
        language=language_of(request),
        limit=page.limit,
        offset=page.offset,
        event=event,
        user_id=user_id,
    )
    return Page[AuditEventRead].build(items, total, page)
