"""Named dependencies. An endpoint's signature says what it needs and who may call it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import APIKeyCookie
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor, ClientInfo
from app.core.config import Settings
from app.core.cookies import ACCESS_COOKIE, KNOWN_DEVICE_COOKIE
from app.core.database import Database, LoginState, begin
from app.core.errors import Forbidden, NotAuthenticated, PasswordChangeRequired
from app.core.i18n import N_
from app.models.users import Role
from app.schemas.common import MAX_ID, CleanText, Pagination

# Declared so /docs and schemathesis know how requests authenticate; the middleware reads it.
cookie_scheme = APIKeyCookie(name=ACCESS_COOKIE, auto_error=False, description="Access JWT")

SESSION_ENDED = N_("Your session has ended; please log in again")
CHANGE_PASSWORD_FIRST = N_("Please choose your own password first")
# What a session with a one-time password may reach: choosing the new password, reading who
# it is, logging out. Everything else answers PasswordChangeRequired (pages: the change form).
OPEN_WHILE_PASSWORD_CHANGE_REQUIRED = frozenset(
    {
        "/api/v1/users/me",
        "/api/v1/users/me/password",
        "/api/v1/auth/logout",
        "/account/password",
        "/auth/logout",
        # The forced password page has the language switch in its header like every page.
        "/language",
    }
)


# The small dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency on
# the thread pool, a thread hop per dependency per request for a one-line attribute read.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


async def get_request_actor(request: Request) -> Actor:
    """Who the middleware identified (possibly anonymous); not yet checked against the DB."""
    return getattr(request.state, "actor", None) or Actor.anonymous()


async def get_client(request: Request) -> ClientInfo:
    """The caller's address and browser, for the audit log and the sessions list, and the
    known-device cookie the login looks at."""
    user_agent = request.headers.get("user-agent")
    cookies: dict[str, str] = getattr(request.state, "cookies", None) or request.cookies
    device_token = cookies.get(KNOWN_DEVICE_COOKIE)
    return ClientInfo(
        ip_address=request.client.host if request.client else None,
        user_agent=user_agent[:255] if user_agent else None,
        device_token=device_token[:128] if device_token else None,
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClientDep = Annotated[ClientInfo, Depends(get_client)]
DatabaseDep = Annotated[Database, Depends(get_database)]
RequestActor = Annotated[Actor, Depends(get_request_actor)]


async def get_session(
    request: Request, database: DatabaseDep, actor: RequestActor
) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed when the endpoint returns.

    Beginning it sets the tenant context for RLS and, for a logged-in actor, checks in the same
    round trip that the login session is still valid (not logged out, account and tenant still
    active, the token's tenant the account's) and whether a one-time password must be changed.
    """
    async with database.session(actor) as session, session.begin():
        context = await begin(session)
        if context.login_state is LoginState.ENDED:
            raise NotAuthenticated(SESSION_ENDED)
        if (
            context.login_state is LoginState.PASSWORD_CHANGE_REQUIRED
            and request.url.path not in OPEN_WHILE_PASSWORD_CHANGE_REQUIRED
        ):
            raise PasswordChangeRequired(CHANGE_PASSWORD_FIRST)
        # An error raised by the endpoint comes back through here: leaving `session.begin()`
        # with it rolls everything back before any error handler answers.
        yield session


# scope="function": the commit runs before the response is sent, so a failed commit is an error
# response and never a success that did not happen.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_current_actor(
    actor: RequestActor,
    session: SessionDep,
    _cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Actor:
    if not actor.is_authenticated:
        raise NotAuthenticated(N_("Not authenticated"))
    return actor


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


def require_role(*roles: Role) -> Callable[[Actor], Coroutine[Any, Any, Actor]]:
    async def dependency(actor: CurrentActor) -> Actor:
        if actor.role not in roles:
            raise Forbidden(N_("Your role cannot do this"))
        return actor

    dependency.__name__ = "require_" + "_or_".join(role.value for role in roles)
    return dependency


SuperuserActor = Annotated[Actor, Depends(require_role(Role.SUPERUSER))]
TeacherActor = Annotated[Actor, Depends(require_role(Role.TEACHER))]
StudentActor = Annotated[Actor, Depends(require_role(Role.STUDENT))]

PaginationDep = Annotated[Pagination, Query()]
# An id in the path: out of range is a 422 naming the parameter (never a driver error).
IdPath = Annotated[int, Path(gt=0, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(gt=0, le=MAX_ID)]
SearchQuery = Annotated[
    str | None, Query(max_length=100, description="Substring of name or e-mail"), CleanText
]
