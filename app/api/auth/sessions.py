"""JSON auth: log in (sets the cookies and returns the user), refresh, log out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ClientDep, CurrentActor, DatabaseDep, SessionDep, SettingsDep
from app.api.errors import handle_app_error
from app.api.session_renewal import renew_in_own_transaction
from app.core.cookies import (
    REFRESH_COOKIE,
    clear_auth_cookie_headers,
    session_cookie_headers,
    set_cookies,
)
from app.core.errors import NotAuthenticated, RetryLater
from app.core.i18n import N_
from app.core.middleware import rotate_csrf_token
from app.schemas.accounts import UserRead
from app.schemas.common import RequestModel
from app.services.accounts import users as accounts
from app.services.auth import login as login_service
from app.services.auth import sessions as session_service

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=128)


class LoginResponse(BaseModel):
    user: UserRead
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret


@router.post(
    "/login",
    response_model=LoginResponse,
    responses={
        429: {"description": "Too many attempts: try again after Retry-After seconds"},
        503: {"description": "Too many logins at once: try again after Retry-After seconds"},
    },
)
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    database: DatabaseDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response | LoginResponse:
    """Log in with e-mail and password; sets the HttpOnly session cookies (and a new CSRF token)."""
    # No request transaction (DatabaseDep, not SessionDep): the attempt runs in units of work of
    # its own, so what it records survives a refusal and no connection waits for the hasher.
    try:
        issued = await login_service.attempt_login(
            database, settings, email=body.email, password=body.password, client=client
        )
    except RetryLater as error:
        return await retry_later_response(request, error)
    set_cookies(
        response.headers,
        session_cookie_headers(
            settings, issued.access_token, issued.refresh_token, issued.device_token
        ),
    )
    rotate_csrf_token(request.scope)
    async with database.transaction(issued.actor) as session:
        user = await accounts.read_me(session, issued.actor)
    return LoginResponse(user=user, access_token=issued.access_token)


async def retry_later_response(request: Request, error: RetryLater) -> Response:
    """The error as every other is answered, with the Retry-After header it calls for."""
    answer = await handle_app_error(request, error)
    answer.headers["retry-after"] = str(error.retry_after)
    return answer


@router.post("/refresh", response_model=LoginResponse)
async def refresh(
    response: Response,
    settings: SettingsDep,
    database: DatabaseDep,
    refresh_token: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> LoginResponse:
    """Exchange the refresh cookie for new session cookies (the refresh token rotates)."""
    if not refresh_token:
        raise NotAuthenticated(N_("Not authenticated"))
    # Not the request's transaction: that one rolls back with the 401, and with it the
    # revocation that a replayed, rotated-away token triggers.
    issued = await renew_in_own_transaction(database, settings, refresh_token)
    if issued is None:
        raise NotAuthenticated(N_("Your session has ended; please log in again"))
    set_cookies(
        response.headers,
        session_cookie_headers(
            settings, issued.access_token, issued.refresh_token, issued.device_token
        ),
    )
    async with database.transaction(issued.actor) as session:
        user = await accounts.read_me(session, issued.actor)
    return LoginResponse(user=user, access_token=issued.access_token)


@router.post("/logout", status_code=204)
async def logout(actor: CurrentActor, session: SessionDep, settings: SettingsDep) -> Response:
    """Log out: the session is revoked server-side and the cookies are cleared."""
    await session_service.logout(session, actor)
    response = Response(status_code=204)
    set_cookies(response.headers, clear_auth_cookie_headers(settings))
    return response
