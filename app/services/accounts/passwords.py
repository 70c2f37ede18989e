"""One-time passwords: issued by a teacher for a student or by the superuser for a teacher,
shown once to the issuer, stored only as a hash. Until the person picks their own, their login
opens nothing but the password change (`must_change_password`, checked per request)."""

from __future__ import annotations

import secrets
import string
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor, ClientInfo
from app.core.config import Settings
from app.core.security import hash_password, password_problems
from app.models.users import User
from app.services import audit
from app.services.audit import AuditEventType
from app.services.auth import sessions as session_service

# Letters and digits that cannot be mistaken for each other when read aloud or copied by hand
# (no I/l/1, O/0, S/5, Z/2).
_UPPER = "".join(c for c in string.ascii_uppercase if c not in "IOSZ")
_LOWER = "".join(c for c in string.ascii_lowercase if c not in "lo")
_DIGITS = "346789"
_GROUPS = 3


def generate_one_time_password() -> str:
    """`Kaw47-Rit93-Mep68`: three groups of a capital, two small letters and two digits,
    joined by hyphens. About 56 bits, and it always meets the password policy."""
    groups = [
        secrets.choice(_UPPER)
        + secrets.choice(_LOWER)
        + secrets.choice(_LOWER)
        + secrets.choice(_DIGITS)
        + secrets.choice(_DIGITS)
        for _ in range(_GROUPS)
    ]
    password = "-".join(groups)
    assert not password_problems(password), password
    return password


async def replace_password(
    session: AsyncSession,
    settings: Settings,
    user: User,
    password: str,
    *,
    event: AuditEventType,
    actor: Actor,
    client: ClientInfo | None,
    must_change: bool | None,
    keep_session: uuid.UUID | None = None,
) -> int:
    """The one way an existing account's password changes (own change, set by the teacher or
    superuser, one-time password, reset by e-mail): hash it, set `must_change_password` (None:
    leave it), end every login of the account but `keep_session` at once, audit `event`.
    Returns how many logins ended. The caller has checked that `actor` may do this (and the
    database function that ends the logins checks again)."""
    user.password_hash = await hash_password(settings, password)
    if must_change is not None:
        user.must_change_password = must_change
    session.add(user)
    await session.flush()
    assert user.id is not None
    ended = await session_service.end_sessions(session, user.id, keep=keep_session)
    await audit.record(
        session, event, subject_user_id=user.id, actor=actor, client=client, ended_sessions=ended
    )
    return ended


async def issue_one_time_password(
    session: AsyncSession,
    settings: Settings,
    user: User,
    *,
    actor: Actor,
    client: ClientInfo,
) -> str:
    """Replace `user`'s password by a new one-time password and return it (to show once);
    every login of the account ends at once."""
    password = generate_one_time_password()
    await replace_password(
        session,
        settings,
        user,
        password,
        event=AuditEventType.ONE_TIME_PASSWORD_ISSUED,
        actor=actor,
        client=client,
        must_change=True,
    )
    return password
