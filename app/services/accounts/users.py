"""What teachers and students have in common: the login account (a `users` row)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.actor import Actor, ClientInfo
from app.core.clock import zone_of
from app.core.config import Settings
from app.core.database import ACTOR_KEY
from app.core.errors import Conflict, NotFound
from app.core.i18n import N_
from app.core.security import hash_password
from app.models.users import Role, User
from app.schemas.accounts import PersonCreate, PersonUpdate, UserRead
from app.services import audit
from app.services.accounts import passwords
from app.services.audit import AuditEventType
from app.services.auth import sessions as session_service
from app.services.scoping import student_profile_id

EMAIL_TAKEN = N_("A user with this e-mail already exists")


async def email_is_taken(
    session: AsyncSession, email: str, *, except_user_id: int | None = None
) -> bool:
    """True when any account on the platform uses `email` (case-insensitively).

    Accounts of other tenants are invisible to the caller under RLS, so this asks a narrow
    SECURITY DEFINER function that answers only yes or no.
    """
    result = await session.execute(
        text("SELECT email_is_taken(:email, CAST(:except_user AS bigint))"),
        {"email": email, "except_user": except_user_id},
    )
    return bool(result.scalar())


async def ensure_email_free(
    session: AsyncSession, email: str, *, except_user_id: int | None = None
) -> None:
    if await email_is_taken(session, email, except_user_id=except_user_id):
        raise Conflict(EMAIL_TAKEN, field="email")


async def create_user(
    session: AsyncSession,
    settings: Settings,
    data: PersonCreate,
    *,
    role: Role,
    teacher_id: int | None,
) -> User:
    """Insert an account. A taken e-mail is a Conflict, found before the password is hashed (and
    by the unique index in a race between two requests). Callers check the actor's role first:
    a 409 to someone who may not create accounts would tell them which e-mails exist."""
    await ensure_email_free(session, data.email)
    user = User(
        email=data.email,
        password_hash=await hash_password(settings, data.password),
        role=role.value,
        teacher_id=teacher_id,
        name=data.name,
        surname=data.surname,
        second_name=data.second_name or None,
        birthday=data.birthday,
        timezone=data.timezone or settings.default_timezone,
        language=data.language or settings.default_language,
    )
    session.add(user)
    await _flush_or_conflict(session)
    return user


async def update_user(
    session: AsyncSession,
    settings: Settings,
    user: User,
    data: PersonUpdate,
    *,
    actor: Actor | None = None,
    client: ClientInfo | None = None,
) -> User:
    """Apply the fields that were sent; clearing is allowed only for the optional ones.

    The one place another person sets an account's password or (de)activates it, for every path
    (API and page forms): a new password ends every login of the account at once; deactivating
    ends them for good (a teacher's: their students' too), so reactivating revives none. Both
    are audited; `actor` (who does it) defaults to the actor the transaction runs as.
    """
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    password = changes.pop("password", None)
    new_email = changes.pop("email", None)
    if new_email and new_email != user.email:
        await ensure_email_free(session, new_email, except_user_id=user.id)
        user.email = new_email
    active = changes.pop("is_active", None)
    for field, value in changes.items():
        if field in PersonUpdate.CLEARABLE:
            setattr(user, field, value or None)
        elif value is not None:
            setattr(user, field, value)
    session.add(user)
    await _flush_or_conflict(session)
    actor = actor or session.info.get(ACTOR_KEY) or Actor.anonymous()
    if password:
        await passwords.replace_password(
            session,
            settings,
            user,
            password,
            event=AuditEventType.PASSWORD_SET,
            actor=actor,
            client=client,
            must_change=None,
        )
    if active is not None:
        await set_active(session, user, active, actor=actor, client=client)
    return user


async def set_active(
    session: AsyncSession,
    user: User,
    active: bool,
    *,
    actor: Actor,
    client: ClientInfo | None = None,
) -> None:
    """Activate or deactivate an account (no change: nothing happens). Deactivating revokes
    every login of the account, and of a teacher's students too, so none comes back when the
    account is activated again. The caller has checked that `actor` manages the account (the
    database function that ends the logins checks again)."""
    if user.is_active == active:
        return
    user.is_active = active
    session.add(user)
    await session.flush()
    assert user.id is not None
    detail: dict[str, Any] = {}
    if not active:
        detail["ended_sessions"] = await session_service.end_sessions(
            session, user.id, with_students=user.role == Role.TEACHER.value
        )
    await audit.record(
        session,
        AuditEventType.ACCOUNT_ACTIVATED if active else AuditEventType.ACCOUNT_DEACTIVATED,
        subject_user_id=user.id,
        actor=actor,
        client=client,
        **detail,
    )


async def get_visible_user(session: AsyncSession, user_id: int) -> User:
    """A user the actor may see (RLS decides), or NotFound."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(N_("User not found"))
    return user


async def get_me(session: AsyncSession, actor: Actor) -> User:
    if actor.user_id is None:
        raise NotFound(N_("User not found"))
    return await get_visible_user(session, actor.user_id)


async def viewer_zone(session: AsyncSession, actor: Actor) -> ZoneInfo:
    """The signed-in person's own time zone: every time they see is shown in it."""
    return zone_of((await get_me(session, actor)).timezone)


async def read_me(session: AsyncSession, actor: Actor) -> UserRead:
    """The signed-in user's own account, with their student profile id when they are a student."""
    user = await get_me(session, actor)
    student_id = None
    if user.role == Role.STUDENT.value:
        student_id = await student_profile_id(session, actor)
    return UserRead.model_validate({**user.model_dump(), "student_id": student_id})


async def set_language(session: AsyncSession, actor: Actor, language: str) -> None:
    """Remember the interface language on the signed-in user's account."""
    user = await get_me(session, actor)
    user.language = language
    await session.flush()


async def count_users(session: AsyncSession, role: Role) -> int:
    result = await session.execute(
        select(func.count()).select_from(User).where(col(User.role) == role.value)
    )
    return int(result.scalar_one())


async def _flush_or_conflict(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as error:
        if "uq_users_email_lower" in str(error.orig):
            raise Conflict(EMAIL_TAKEN, field="email") from error
        raise
