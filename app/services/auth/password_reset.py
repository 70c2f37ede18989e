"""Password reset by e-mail: ask for a link, follow it, choose a new password.

- Asking answers the same whatever the e-mail (`RESET_REQUESTED`): an unknown, inactive or
  throttled address does the same queries, only no job is deferred. At most
  `REQUESTS_PER_HOUR` links are sent to one account an hour (counted in the audit log).
- The link is made and mailed by a job (`send_password_reset`), so the request never waits for
  the SMTP server and the token's secret exists nowhere but in the mail: the job's arguments
  (a table row) hold only the account's id. Only the secret's hash is stored.
- A token works once, for `TOKEN_LIFETIME`; a new one replaces every older one of the account.
  Using it sets the password, ends every login of the account and clears a one-time password.

Everything here runs as the system actor (the person has no session): the routes open a unit
of work of their own, like the refresh-token renewal, and the job its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from procrastinate import JobContext, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.core import jobs
from app.core.actor import Actor, ClientInfo
from app.core.clock import now_utc
from app.core.config import Settings
from app.core.errors import InvalidInput, NotFound
from app.core.i18n import N_, gettext_for
from app.models.auth import AuditEvent, PasswordResetToken
from app.models.users import Role, User
from app.schemas.accounts import PasswordResetConfirm
from app.services import audit, mail
from app.services.accounts import passwords
from app.services.audit import AuditEventType
from app.services.scoping import belongs_to

TOKEN_LIFETIME = timedelta(hours=1)
# Measured here: a known e-mail's request took ~15 ms, an unknown one's ~11 ms; the floor
# hides that difference (and far larger ones on a loaded server) behind a constant.
ANSWER_FLOOR = 0.25
REQUESTS_PER_HOUR = 3
RESET_PATH = "/auth/reset"

RESET_REQUESTED = N_(
    "If an account with this e-mail exists, a link to choose a new password is on its way."
    " It works for one hour."
)
INVALID_LINK = N_(
    "This password reset link is invalid, has expired or has been used already. Ask for a new one."
)
RESET_UNAVAILABLE = N_(
    "Password reset by e-mail is not set up here; ask your teacher or the administrator"
    " for a one-time password"
)
MAIL_SUBJECT = N_("Choose a new password")
MAIL_TEXT = N_(
    "Hello, {name}!\n\n"
    "Someone (hopefully you) asked to reset the password of your Tutor Platform account."
    " To choose a new password, open this link within one hour:\n\n"
    "{link}\n\n"
    "The link works once. If you did not ask for it, ignore this letter: your password stays"
    " as it is."
)


@dataclass(frozen=True, slots=True)
class ResetToken:
    """`<token id>.<secret>` in the link: the id finds the row, only the secret's hash is kept."""

    token_id: uuid.UUID
    secret: str

    @classmethod
    def new(cls) -> ResetToken:
        return cls(token_id=uuid.uuid4(), secret=secrets.token_urlsafe(32))

    @classmethod
    def parse(cls, value: str) -> ResetToken | None:
        token_part, _, secret = value.partition(".")
        try:
            token_id = uuid.UUID(hex=token_part)
        except ValueError:
            return None
        return cls(token_id=token_id, secret=secret) if secret else None

    def __str__(self) -> str:
        return f"{self.token_id.hex}.{self.secret}"

    @property
    def secret_hash(self) -> str:
        return hashlib.sha256(self.secret.encode()).hexdigest()


def require_available(settings: Settings) -> None:
    """NotFound when mail is not set up: the feature is not there (not a server failure)."""
    if not settings.password_reset_by_mail:
        raise NotFound(RESET_UNAVAILABLE)


async def _usable_account(session: AsyncSession, user: User | None) -> bool:
    if user is None or not user.is_active:
        return False
    if user.teacher_id is None:
        return True
    teacher = await session.get(User, user.teacher_id)
    return teacher is not None and teacher.is_active


async def _find_account(session: AsyncSession, email: str) -> tuple[User | None, bool]:
    """The account with `email` and whether it can log in (it and its teacher active), in one
    query whatever the answer: an unknown e-mail costs what a known one does."""
    teacher = aliased(User, name="teacher")
    row = (
        await session.execute(
            select(User, col(teacher.is_active))
            # The account's teacher (none for a teacher or the superuser).
            .outerjoin(teacher, belongs_to(User, col(teacher.id)))
            .where(func.lower(col(User.email)) == email.strip().lower())
        )
    ).first()
    if row is None:
        return None, False
    user, teacher_active = row
    return user, bool(user.is_active and teacher_active is not False)


@asynccontextmanager
async def uniform_duration() -> AsyncIterator[None]:
    """Answer a reset request no sooner than `ANSWER_FLOOR` after it began: whether a job was
    deferred (a known e-mail) or not then shows in no response time."""
    started = time.monotonic()
    try:
        yield
    finally:
        await asyncio.sleep(max(0.0, ANSWER_FLOOR - (time.monotonic() - started)))


async def _links_sent_lately(session: AsyncSession, user_id: int | None) -> int:
    # The audit log is the counter: one row per request, `sent` when a job was deferred.
    count = await session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            col(AuditEvent.event) == AuditEventType.PASSWORD_RESET_REQUESTED.value,
            col(AuditEvent.subject_user_id) == (user_id or 0),
            col(AuditEvent.created_at) > func.now() - TOKEN_LIFETIME,
            col(AuditEvent.detail)["sent"].as_boolean(),
        )
    )
    return int(count or 0)


async def request_reset(
    session: AsyncSession, settings: Settings, email: str, *, client: ClientInfo
) -> None:
    """Defer the mail with a reset link if `email` is an active account's and it has not had
    too many lately; record the request either way. Unavailable when mail is not set up.
    Runs as the system actor; the caller answers `RESET_REQUESTED` whatever happened."""
    require_available(settings)
    user, usable = await _find_account(session, email)
    recent = await _links_sent_lately(session, user.id if user is not None else None)
    sent = usable and recent < REQUESTS_PER_HOUR
    if sent:
        assert user is not None and user.id is not None
        # A job for this account already waiting mails a fresh link: one is enough.
        with contextlib.suppress(AlreadyEnqueued):
            await jobs.defer(
                session,
                send_password_reset.configure(queueing_lock=f"password_reset:{user.id}"),
                user_id=user.id,
            )
    await audit.record(
        session,
        AuditEventType.PASSWORD_RESET_REQUESTED,
        subject_user_id=user.id if user is not None else None,
        client=client,
        sent=sent,
    )


async def _find_token(
    session: AsyncSession, raw: str, *, for_update: bool = False
) -> PasswordResetToken | None:
    presented = ResetToken.parse(raw)
    if presented is None:
        return None
    token = await session.get(PasswordResetToken, presented.token_id, with_for_update=for_update)
    if (
        token is None
        or not secrets.compare_digest(token.token_hash, presented.secret_hash)
        or token.used_at is not None
        or token.expires_at <= now_utc()
    ):
        return None
    return token


async def link_is_valid(session: AsyncSession, settings: Settings, raw: str) -> bool:
    """Whether the link can still be used (the new-password form shows only then)."""
    require_available(settings)
    token = await _find_token(session, raw)
    return token is not None and await _usable_account(
        session, await session.get(User, token.user_id)
    )


async def confirm_reset(
    session: AsyncSession,
    settings: Settings,
    data: PasswordResetConfirm,
    *,
    client: ClientInfo,
) -> None:
    """Set the new password with a valid link (else InvalidInput on `token`): the link is used
    up, a one-time password is no longer one, and every login of the account ends."""
    require_available(settings)
    token = await _find_token(session, data.token, for_update=True)
    user = await session.get(User, token.user_id) if token is not None else None
    if token is None or user is None or not await _usable_account(session, user):
        raise InvalidInput(INVALID_LINK, field="token")
    assert user.id is not None
    token.used_at = now_utc()
    session.add(token)
    await passwords.replace_password(
        session,
        settings,
        user,
        data.new_password,
        event=AuditEventType.PASSWORD_RESET_COMPLETED,
        actor=Actor(user_id=user.id, role=Role(user.role)),
        client=client,
        must_change=False,
    )


async def issue_link(session: AsyncSession, settings: Settings, user_id: int) -> mail.Mail | None:
    """A new token for the account (replacing every older one) and the mail that carries its
    link, in the account's language; None when the account can no longer log in."""
    user = await session.get(User, user_id)
    if not await _usable_account(session, user):
        return None
    assert user is not None
    await session.execute(
        delete(PasswordResetToken).where(col(PasswordResetToken.user_id) == user_id)
    )
    token = ResetToken.new()
    session.add(
        PasswordResetToken(
            id=token.token_id,
            user_id=user_id,
            token_hash=token.secret_hash,
            expires_at=now_utc() + TOKEN_LIFETIME,
        )
    )
    await session.flush()
    link = f"{settings.public_base_url.rstrip('/')}{RESET_PATH}/{token}"
    language = user.language
    return mail.Mail(
        to=user.email,
        subject=gettext_for(language, MAIL_SUBJECT),
        text=gettext_for(language, MAIL_TEXT).format(name=user.name, link=link),
    )


@jobs.jobs_app.task(
    name="auth.send_password_reset",
    pass_context=True,
    retry=RetryStrategy(max_attempts=5, exponential_wait=10),
)
async def send_password_reset(context: JobContext, user_id: int) -> bool:
    """Make the link and mail it. The token is committed before the mail goes out: a token
    never mailed is harmless, a mailed link that does not work is not. A failed send is retried
    with a fresh token (the retry replaces this one)."""
    settings = jobs.job_settings(context)
    async with jobs.job_database(context).transaction(Actor.system()) as session:
        message = await issue_link(session, settings, user_id)
    if message is None:
        return False
    await mail.send(settings, message)
    return True
