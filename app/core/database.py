"""Engine, sessions, and the per-transaction tenant context that Row-Level Security reads.

Every transaction starts with one statement that sets `app.user_id`, `app.teacher_id` and
`app.role` with `set_config(..., true)` (transaction-local: pooled connections and PgBouncer in
transaction mode never carry a tenant over) and, for a logged-in actor, checks that the login
session is still valid (not revoked, user and tenant active, the token's tenant the account's)
in the same round trip.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from app.core.actor import Actor
from app.core.config import Settings
from app.core.embedded_db import start_embedded_postgres
from app.core.events import BUS_KEY, EventBus

ACTOR_KEY = "actor"
CONTEXT_KEY = "tenant_context"

_SET_ACTOR = text(
    "SELECT set_config('app.user_id', :user_id, true),"
    " set_config('app.teacher_id', :teacher_id, true),"
    " set_config('app.role', :role, true)"
)
_SET_ACTOR_AND_CHECK_SESSION = text(
    "SELECT set_config('app.user_id', :user_id, true),"
    " set_config('app.teacher_id', :teacher_id, true),"
    " set_config('app.role', :role, true),"
    " auth_session_state(:session_id, CAST(:user_id AS bigint), :role,"
    " CAST(NULLIF(:teacher_id, '') AS bigint))"
)


def resolve_owner_url(settings: Settings) -> URL:
    """The schema owner's URL; starts the embedded server under `var/` when none is configured."""
    url = settings.owner_database_url()
    if url is not None:
        return url
    return start_embedded_postgres(settings.var_dir / "pg").owner_url


def _actor_params(actor: Actor) -> dict[str, Any]:
    return {
        "user_id": "" if actor.user_id is None else str(actor.user_id),
        "teacher_id": "" if actor.teacher_id is None else str(actor.teacher_id),
        "role": actor.db_role,
    }


class LoginState(StrEnum):
    """What `auth_session_state` says about the actor's login session (migration 0007)."""

    ACTIVE = "active"
    # A one-time password: only the password change (and logging out) is open.
    PASSWORD_CHANGE_REQUIRED = "password_change_required"  # noqa: S105 - a state
    # Revoked, expired, account or tenant deactivated, or a token whose tenant is not the
    # account's: the session is over.
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class TenantContext:
    """What the current transaction runs as: the actor RLS sees, and the state of the actor's
    login session when it began (None: no login session to check)."""

    actor: Actor
    login_state: LoginState | None


class TenantSession(Session):
    """The app's own session class: every transaction it begins runs as its actor."""


@event.listens_for(TenantSession, "after_begin")
def _set_tenant_context(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    # Fires for each new transaction (and each savepoint join in tests), so no query ever runs
    # without the actor that RLS policies check.
    actor: Actor = session.info.get(ACTOR_KEY) or Actor.anonymous()
    params = _actor_params(actor)
    login_state: LoginState | None = None
    if actor.session_id is not None and not actor.is_system:
        row = connection.execute(
            _SET_ACTOR_AND_CHECK_SESSION, {**params, "session_id": actor.session_id}
        ).one()
        login_state = LoginState(row[3])
    else:
        connection.execute(_SET_ACTOR, params)
    session.info[CONTEXT_KEY] = TenantContext(actor=actor, login_state=login_state)


async def begin(session: AsyncSession) -> TenantContext:
    """Start the session's transaction now (one round trip: the actor set, the login checked)
    and say what it runs as."""
    await session.connection()
    context: TenantContext = session.info[CONTEXT_KEY]
    return context


async def act_as(session: AsyncSession, actor: Actor) -> None:
    """Switch the actor inside an open transaction (used right after login or sign-up)."""
    session.info[ACTOR_KEY] = actor
    await session.execute(_SET_ACTOR, _actor_params(actor))
    session.info[CONTEXT_KEY] = TenantContext(actor=actor, login_state=None)


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # Who listens to domain events published in this database's sessions (app.subscriptions).
    events: EventBus = field(default_factory=EventBus)

    @classmethod
    def connect(cls, url: URL, settings: Settings) -> Database:
        engine = create_async_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_pre_ping=False,
        )
        return cls(engine=engine, sessionmaker=make_sessionmaker(engine))

    def session(self, actor: Actor) -> AsyncSession:
        session = self.sessionmaker()
        session.info[ACTOR_KEY] = actor
        session.info[BUS_KEY] = self.events
        return session

    @asynccontextmanager
    async def transaction(self, actor: Actor) -> AsyncIterator[AsyncSession]:
        """One unit of work for CLI commands and jobs: commit on success, roll back on error."""
        async with self.session(actor) as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def make_sessionmaker(bind: Any, **options: Any) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: responses are built from objects after the request's commit.
    return async_sessionmaker(
        bind,
        expire_on_commit=False,
        autoflush=False,
        sync_session_class=TenantSession,
        **options,
    )
