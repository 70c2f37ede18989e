"""Login sessions: open one for a checked password, renew with the refresh token (rotating it),
log out (revoke), end every session of an account."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor, ClientInfo
from app.core.clock import now_utc
from app.core.config import Settings
from app.core.database import act_as
from app.core.i18n import N_
from app.core.security import (
    AccessClaims,
    InvalidToken,
    RefreshToken,
    issue_access_token,
)
from app.models.auth import AuthSession
from app.models.users import Role, User
from app.services.scoping import student_profile_id

# One message for an unknown e-mail, a wrong password and a deactivated account alike.
INVALID_CREDENTIALS = N_("Invalid e-mail or password")


@dataclass(frozen=True)
class IssuedSession:
    actor: Actor
    access_token: str
    refresh_token: str | None  # None: keep the refresh cookie the browser already has
    language: str
    # Set by a login: the known-device cookie's value for the account (app.services.auth.login).
    device_token: str | None = None


async def _actor_for(
    session: AsyncSession,
    user_id: int,
    role: Role,
    teacher_id: int | None,
    session_id: uuid.UUID,
) -> Actor:
    # A teacher's tenant is their own id; a student's is their teacher's. A student's profile
    # id rides in the token so student pages need no lookup per request.
    actor = Actor(
        user_id=user_id,
        role=role,
        teacher_id=user_id if role is Role.TEACHER else teacher_id,
        session_id=session_id,
    )
    if role is not Role.STUDENT:
        return actor
    return replace(actor, student_id=await student_profile_id(session, actor))


def _issue(
    settings: Settings, actor: Actor, refresh: RefreshToken | None, language: str
) -> IssuedSession:
    assert actor.user_id is not None and actor.role is not None and actor.session_id is not None
    access = issue_access_token(
        settings,
        AccessClaims(
            user_id=actor.user_id,
            role=actor.role,
            teacher_id=actor.teacher_id,
            session_id=actor.session_id,
            student_id=actor.student_id,
        ),
    )
    return IssuedSession(
        actor=actor,
        access_token=access,
        refresh_token=str(refresh) if refresh is not None else None,
        language=language,
    )


@dataclass(frozen=True, slots=True)
class LoginCandidate:
    """The account an e-mail names, as `auth_find_login` shows it to an anonymous caller."""

    user_id: int
    password_hash: str
    role: Role
    teacher_id: int | None
    # The account and, for a student, their teacher are active.
    active: bool


async def find_login(session: AsyncSession, email: str) -> LoginCandidate | None:
    """The account with this e-mail (case-insensitively), active or not; None: no such account."""
    row = (
        await session.execute(
            text("SELECT * FROM auth_find_login(:email)"), {"email": email.strip()}
        )
    ).first()
    if row is None:
        return None
    return LoginCandidate(
        user_id=row.id,
        password_hash=row.password_hash,
        role=Role(row.role),
        teacher_id=row.teacher_id,
        active=bool(row.is_active and row.teacher_is_active),
    )


async def open_session(
    session: AsyncSession,
    settings: Settings,
    account: LoginCandidate,
    *,
    client: ClientInfo | None = None,
) -> IssuedSession:
    """Open a server-side login session for an account whose password was checked, and issue
    its tokens. Switches the transaction's actor to the account."""
    client = client or ClientInfo.unknown()
    refresh = RefreshToken.new(uuid.uuid4())
    # Act as the user first: their own rows (and only those) become visible under RLS.
    await act_as(
        session,
        Actor(
            user_id=account.user_id,
            role=account.role,
            teacher_id=account.teacher_id or account.user_id,
        ),
    )
    actor = await _actor_for(
        session, account.user_id, account.role, account.teacher_id, refresh.session_id
    )
    await act_as(session, actor)
    now = now_utc()
    session.add(
        AuthSession(
            id=refresh.session_id,
            user_id=account.user_id,
            refresh_token_hash=refresh.secret_hash,
            expires_at=now + timedelta(days=settings.refresh_token_expire_days),
            user_agent=client.user_agent,
            ip_address=client.ip_address,
            last_used_at=now,
        )
    )
    await session.flush()
    user = await session.get(User, account.user_id)
    assert user is not None
    return _issue(settings, actor, refresh, user.language)


async def renew(
    session: AsyncSession, settings: Settings, refresh_token: str
) -> IssuedSession | None:
    """Exchange a valid refresh token for a new access token and a rotated refresh token.

    Runs as the system actor (the caller has no valid access token to say who they are yet).
    Returns None for anything invalid: unknown, revoked, expired, or an inactive account.
    """
    try:
        presented = RefreshToken.parse(refresh_token)
    except InvalidToken:
        return None
    auth_session = await session.get(AuthSession, presented.session_id, with_for_update=True)
    now = now_utc()
    if (
        auth_session is None
        or auth_session.revoked_at is not None
        or auth_session.expires_at <= now
    ):
        return None
    raced = (
        presented.secret_hash == auth_session.previous_token_hash
        and auth_session.rotated_at is not None
        and now - auth_session.rotated_at <= timedelta(seconds=settings.refresh_reuse_grace_seconds)
    )
    if auth_session.refresh_token_hash != presented.secret_hash and not raced:
        # A rotated-away token came back: someone holds a copy. End the whole login.
        auth_session.revoked_at = now
        await session.flush()
        return None
    user = await session.get(User, auth_session.user_id)
    if user is None or not user.is_active:
        return None
    if user.teacher_id is not None:
        teacher = await session.get(User, user.teacher_id)
        if teacher is None or not teacher.is_active:
            return None
    assert user.id is not None
    actor = await _actor_for(session, user.id, Role(user.role), user.teacher_id, auth_session.id)
    # What the sessions list shows as "last used": written here, once per access token's life.
    auth_session.last_used_at = now
    if raced:
        # The concurrent request already rotated and sets the new refresh cookie; this one
        # only needs a fresh access token.
        await session.flush()
        return _issue(settings, actor, None, user.language)
    rotated = RefreshToken.new(auth_session.id)
    auth_session.previous_token_hash = auth_session.refresh_token_hash
    auth_session.refresh_token_hash = rotated.secret_hash
    auth_session.rotated_at = now
    await session.flush()
    return _issue(settings, actor, rotated, user.language)


async def logout(session: AsyncSession, actor: Actor) -> None:
    """Revoke the actor's current session server-side; its cookies stop working everywhere."""
    if actor.session_id is None:
        return
    auth_session = await session.get(AuthSession, actor.session_id)
    if auth_session is not None and auth_session.revoked_at is None:
        auth_session.revoked_at = now_utc()
        await session.flush()


async def end_sessions(
    session: AsyncSession,
    user_id: int,
    *,
    keep: uuid.UUID | None = None,
    with_students: bool = False,
) -> int:
    """Revoke every open session of the account at once (but `keep`, the caller's own, when
    given); for a teacher with `with_students`, their students' sessions too. The database
    function refuses a caller who may not manage the account (migration 0007)."""
    result = await session.execute(
        text("SELECT auth_revoke_sessions(CAST(:user_id AS bigint), :keep, :with_students)"),
        {"user_id": user_id, "keep": keep, "with_students": with_students},
    )
    return int(result.scalar_one())
