"""Transparent renewal: the middleware calls this when the access token is missing or expired
but a refresh cookie is present."""

from __future__ import annotations

from typing import Any

from app.core.actor import Actor
from app.core.config import Settings
from app.core.cookies import session_cookie_headers
from app.core.database import Database
from app.services.auth import sessions as session_service
from app.services.auth.sessions import IssuedSession


async def renew_in_own_transaction(
    database: Database, settings: Settings, refresh_token: str
) -> IssuedSession | None:
    """Renew (rotating the refresh token) in a unit of work of its own, committed even when the
    answer is None: a replayed, rotated-away token revokes the login, and that revocation must
    not roll back with the 401 that follows."""
    async with database.transaction(Actor.system()) as session:
        return await session_service.renew(session, settings, refresh_token)


async def renew_session(
    scope: Any, refresh_token: str
) -> tuple[Actor, list[tuple[bytes, bytes]]] | None:
    app = scope["app"]
    issued = await renew_in_own_transaction(app.state.db, app.state.settings, refresh_token)
    if issued is None:
        return None
    headers = session_cookie_headers(app.state.settings, issued.access_token, issued.refresh_token)
    return issued.actor, headers
