"""What everyone does for their own account: change the password, see their open logins and
end every other one. One-time passwords issued by a teacher or the superuser are in
`app.services.accounts.passwords`."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.actor import Actor, ClientInfo
from app.core.clock import now_utc
from app.core.config import Settings
from app.core.errors import InvalidInput, NotAuthenticated
from app.core.i18n import N_
from app.core.security import verify_password
from app.models.auth import AuthSession
from app.schemas.accounts import PasswordChange, SessionRead
from app.services import audit
from app.services.accounts import passwords
from app.services.accounts import users as accounts
from app.services.audit import AuditEventType
from app.services.auth import sessions as session_service

WRONG_CURRENT_PASSWORD = N_("The current password is not correct")
SAME_PASSWORD = N_("The new password must differ from the current one")

# Browser and system from a User-Agent: the first match wins, so the browsers that also say
# "Chrome" or "Safari" come before those. A short readable label, not a full parser.
_BROWSERS = (
    ("YaBrowser/", "Yandex Browser"),
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-httpx/", "httpx"),
)
_SYSTEMS = (
    (re.compile(r"iPhone|iPad|iPod"), "iOS"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"Mac OS X|Macintosh"), "macOS"),
    (re.compile(r"Linux"), "Linux"),
)


def describe_device(user_agent: str | None) -> str | None:
    """`"Firefox · Windows"` from a User-Agent header; None when nothing is recognised."""
    if not user_agent:
        return None
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for pattern, name in _SYSTEMS if pattern.search(user_agent)), None)
    parts = [part for part in (browser, system) if part]
    return " · ".join(parts) or None


async def change_password(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    data: PasswordChange,
    *,
    client: ClientInfo,
) -> int:
    """Change the signed-in person's own password. The current one must be given (wrong:
    InvalidInput on `current_password`) and the new one must differ from it (InvalidInput on
    `new_password`). Every other login of the account ends at once, a one-time password stops
    being one; returns how many logins were ended."""
    user = await accounts.get_me(session, actor)
    if not await verify_password(settings, data.current_password, user.password_hash):
        raise InvalidInput(WRONG_CURRENT_PASSWORD, field="current_password")
    if data.new_password == data.current_password:
        raise InvalidInput(SAME_PASSWORD, field="new_password")
    return await passwords.replace_password(
        session,
        settings,
        user,
        data.new_password,
        event=AuditEventType.PASSWORD_CHANGED,
        actor=actor,
        client=client,
        must_change=False,
        keep_session=actor.session_id,
    )


async def list_sessions(session: AsyncSession, actor: Actor) -> list[SessionRead]:
    """The signed-in person's open logins (not ended, not expired): this one first, then the
    newest first."""
    if actor.user_id is None:
        raise NotAuthenticated(N_("Not authenticated"))
    # RLS shows an account only its own login sessions; the condition says so as well.
    rows = await session.scalars(
        select(AuthSession)
        .where(
            col(AuthSession.user_id) == actor.user_id,
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > now_utc(),
        )
        .order_by(col(AuthSession.created_at).desc(), col(AuthSession.id))
    )
    listed = [
        SessionRead(
            id=str(row.id),
            device=describe_device(row.user_agent),
            ip_address=row.ip_address,
            started_at=row.created_at,
            last_used_at=row.last_used_at or row.rotated_at or row.created_at,
            current=row.id == actor.session_id,
        )
        for row in rows
    ]
    return sorted(listed, key=lambda login: not login.current)  # stable: newest first after


async def end_other_sessions(session: AsyncSession, actor: Actor, *, client: ClientInfo) -> int:
    """Log out everywhere else: every login of the account but this one ends at once."""
    if actor.user_id is None:
        raise NotAuthenticated(N_("Not authenticated"))
    ended = await session_service.end_sessions(session, actor.user_id, keep=actor.session_id)
    await audit.record(
        session,
        AuditEventType.SESSIONS_REVOKED,
        subject_user_id=actor.user_id,
        actor=actor,
        client=client,
        count=ended,
    )
    return ended
