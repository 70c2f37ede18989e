"""The audit log page, for the superuser and teachers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import CurrentActor, IdQuery, SessionDep
from app.api.templating import language_of, render
from app.schemas.common import Pagination
from app.services.accounts import audit_log
from app.services.accounts import users as accounts
from app.services.audit import EVENT_LABELS, AuditEventType

router = APIRouter()

PAGE_SIZE = 50
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
# A select's blank choice ("every event") arrives as an empty string.
EventChoice = Annotated[str, Query(max_length=64)]
_EVENTS = frozenset(kind.value for kind in AuditEventType)


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request,
    actor: CurrentActor,
    session: SessionDep,
    event: EventChoice = "",
    user_id: IdQuery = None,
    offset: Offset = 0,
) -> Response:
    """Security events, newest first, a page at a time; filtered by kind and by person."""
    chosen = AuditEventType(event) if event in _EVENTS else None
    page = Pagination(limit=PAGE_SIZE, offset=offset)
    events, total = await audit_log.list_events(
        session,
        actor,
        language=language_of(request),
        limit=page.limit,
        offset=page.offset,
        event=chosen,
        user_id=user_id,
    )
    return render(
        request,
        "account/audit.html",
        {
            "events": events,
            "total": total,
            "page": page,
            "event": chosen.value if chosen else "",
            "user_id": user_id,
            "labels": {kind.value: label for kind, label in EVENT_LABELS.items()},
            "zone": await accounts.viewer_zone(session, actor),
        },
    )
