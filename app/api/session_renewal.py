"""Transparent renewal: the middleware calls this when the access token is missing or expired
but a refresh cookie is present."""

from __future__ import annotations

from typing import Any

from app.core.actor import Actor
from app.core.cookies import session_cookie_headers
from app.core.database import Database
from app.services.auth import sessions as session_service

# The refresh endpoint renews explicitly; renewing here too would rotate the token twice and
# make the endpoint see its own old token as a reuse.
NO_AUTOMATIC_RENEWAL = frozenset({"/api/v1/auth/refresh"})


async def renew_session(
    scope: Any, refresh_token: str
) -> tuple[Actor, list[tuple[bytes, bytes]]] | None:
    if scope["path"] in NO_AUTOMATIC_RENEWAL:
        return None
    app = scope["app"]
    database: Database = app.state.db
    async with database.transaction(Actor.system()) as session:
        issued = await session_service.renew(session, app.state.settings, refresh_token)
    if issued is None:
        return None
    headers = session_cookie_headers(app.state.settings, issued.access_token, issued.refresh_token)
    return issued.actor, headers
