"""One login attempt, from the abuse limits to the new session (the JSON and the HTML login).

An attempt is several short units of work on purpose, not the request's one transaction:
- the counters and the audit of a refused attempt must stay written although the answer is an
  error (the request's transaction would roll them back with it);
- no database connection is held while the password hash runs: a burst of logins waiting for
  the two Argon2 threads would otherwise take the pool's connections from every other request.

The order: a turn at the hasher (app.core.security.hasher_turn: per-address and overall lines,
refused at once when full); then, in one system-actor transaction, the account looked up and
the attempt counted (app.services.auth.throttle: refused with 429 before any hashing when the
account or the address has used its attempts); then exactly one Argon2 verification, also for
an unknown e-mail; then the outcome, recorded in its own transaction.

A browser that logged into the account before (the known-device cookie, set at every
successful login) goes past the lines an attack fills and counts its failures apart
(app.core.security.hasher_turn, app.services.auth.throttle.keys_for): a flood of wrong
passwords from many addresses can delay or refuse new browsers, not the account's own.
"""

from __future__ import annotations

import math
from dataclasses import replace

from app.core.actor import Actor, ClientInfo
from app.core.config import Settings
from app.core.database import Database
from app.core.errors import AccountDeactivated, NotAuthenticated, TooManyRequests
from app.core.i18n import N_
from app.core.security import (
    hasher_turn,
    is_known_device,
    known_device_token,
    verify_password,
)
from app.services import audit
from app.services.audit import AuditEventType
from app.services.auth import sessions as session_service
from app.services.auth import throttle
from app.services.auth.sessions import INVALID_CREDENTIALS, IssuedSession

ACCOUNT_DEACTIVATED = N_(
    "This account is deactivated: ask your teacher or the administrator to switch it on"
)
TOO_MANY_ATTEMPTS = N_("Too many failed login attempts. Please try again in {minutes} min.")


async def attempt_login(
    database: Database,
    settings: Settings,
    *,
    email: str,
    password: str,
    client: ClientInfo,
) -> IssuedSession:
    """Check the credentials within the abuse limits and open a session. NotAuthenticated for
    wrong credentials (one message for every reason), TooManyRequests (429) when the account or
    the address has no attempts left, Busy (503) when the hasher's queue is full."""
    known = is_known_device(settings, client.device_token, email)
    keys = throttle.keys_for(settings, email=email, address=client.ip_address, known_device=known)
    device = client.device_token if known else None
    async with hasher_turn(settings, client.ip_address, known_device=device):
        async with database.transaction(Actor.system()) as session:
            account = await session_service.find_login(session, email)
            reservation = await throttle.reserve(session, settings, keys)
            if not reservation.allowed:
                await audit.record(
                    session,
                    AuditEventType.LOGIN_THROTTLED,
                    subject_user_id=account.user_id if account else None,
                    client=client,
                    limited_by=[kind.value for kind in reservation.refused_by],
                    known_device=known,
                )
        if not reservation.allowed:
            raise TooManyRequests(
                TOO_MANY_ATTEMPTS,
                retry_after=reservation.retry_after,
                minutes=max(1, math.ceil(reservation.retry_after / 60)),
            )
        valid = await verify_password(
            settings, password, account.password_hash if account else None, urgent=known
        )

    if account is None or not valid or not account.active:
        # The attempt stays counted: it was a failure.
        async with database.transaction(Actor.system()) as session:
            await audit.record(
                session,
                AuditEventType.LOGIN_FAILED,
                subject_user_id=account.user_id if account else None,
                client=client,
                reason=(
                    "unknown_email"
                    if account is None
                    else "wrong_password"
                    if not valid
                    else "inactive"
                ),
            )
        if account is not None and valid:
            raise AccountDeactivated(ACCOUNT_DEACTIVATED)
        raise NotAuthenticated(INVALID_CREDENTIALS)

    async with database.transaction(Actor.system()) as session:
        # As the system actor (the counters are visible to it only), before acting as the user.
        await throttle.succeeded(session, keys)
        issued = await session_service.open_session(session, settings, account, client=client)
        await audit.record(
            session,
            AuditEventType.LOGIN_SUCCEEDED,
            subject_user_id=account.user_id,
            actor=issued.actor,
            client=client,
        )
    return replace(issued, device_token=known_device_token(settings, email))
