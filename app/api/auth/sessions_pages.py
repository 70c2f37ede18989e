"""Login and logout pages, and the language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.applications import Starlette
from starlette.routing import Match, Mount

from app.api.deps import ClientDep, DatabaseDep, RequestActor, SessionDep, SettingsDep
from app.api.templating import language_of, render
from app.core.cookies import (
    clear_auth_cookie_headers,
    language_cookie_header,
    session_cookie_headers,
    set_cookies,
)
from app.core.errors import NotAuthenticated, RetryLater
from app.core.i18n import normalize_language
from app.core.middleware import is_api_path, rotate_csrf_token
from app.schemas.common import CleanText
from app.services.accounts import users as accounts
from app.services.auth import login as login_service
from app.services.auth import sessions as session_service

router = APIRouter()

DEFAULT_AFTER_LOGIN = "/dashboard"


def _local_path(target: str | None) -> str | None:
    """The target if by its shape it is a path on this site, else None: `//evil.example`,
    `https://...`, backslashes (which browsers read as slashes) and control characters (which
    they strip: a tab in `/<tab>/evil.example`) would make an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    decoded = unquote(parts.path)
    if parts.scheme or parts.netloc or decoded.startswith("//"):
        return None
    if any(char == "\\" or ord(char) < 0x20 or ord(char) == 0x7F for char in target + decoded):
        return None
    if decoded.startswith("/auth/log"):
        return None
    return target


def _is_page(app: Starlette, path: str) -> bool:
    """Whether a GET of this path reaches one of the app's page routes (matched by the app's
    own router): after the login the browser GETs `next`, so a URL that only takes POST would
    be a 405 page."""
    if is_api_path(path):
        return False
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}
    for route in app.router.routes:
        # Mounts (static files) are no page to come back to.
        if not isinstance(route, Mount) and route.matches(scope)[0] is Match.FULL:
            return True
    return False


def safe_next(request: Request, target: str | None, default: str = DEFAULT_AFTER_LOGIN) -> str:
    """Where to go after the login: a local path that a GET page of the app answers, else the
    default."""
    local = _local_path(target)
    if local is None or not _is_page(request.app, unquote(urlsplit(local).path)):
        return default
    return local


@router.get("/auth/login", response_class=HTMLResponse)
async def login_page(
    request: Request,
    actor: RequestActor,
    next_url: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """The login form (a signed-in user goes straight on)."""
    if actor.is_authenticated:
        return RedirectResponse(safe_next(request, next_url), status_code=303)
    return render(request, "auth/login.html", {"next": _local_path(next_url) or "", "email": ""})


@router.post("/auth/login", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    database: DatabaseDep,
    settings: SettingsDep,
    client: ClientDep,
    email: Annotated[str, Form(max_length=254), CleanText] = "",
    password: Annotated[str, Form(max_length=128), CleanText] = "",
    next_url: Annotated[str | None, Form(alias="next", max_length=2000), CleanText] = None,
) -> Response:
    """Check the credentials; on success set the cookies and go where the person was headed."""
    # A refused login is an answer, not a failure: it is shown on the form itself (401, or 429
    # with the wait). What it records about the attempt is recorded in units of work of its own.
    try:
        issued = await login_service.attempt_login(
            database, settings, email=email, password=password, client=client
        )
    except (NotAuthenticated, RetryLater) as error:
        answer = render(
            request,
            "auth/login.html",
            {
                "next": _local_path(next_url) or "",
                "email": email,
                "error": error.text(language_of(request)),
            },
            status_code=error.status_code,
        )
        if isinstance(error, RetryLater):
            answer.headers["retry-after"] = str(error.retry_after)
        return answer
    response = RedirectResponse(safe_next(request, next_url), status_code=303)
    set_cookies(
        response.headers,
        session_cookie_headers(
            settings, issued.access_token, issued.refresh_token, issued.device_token
        ),
    )
    # A token planted in the browser before the login does not carry over into the session.
    rotate_csrf_token(request.scope)
    # The account's language wins once the person is known.
    response.headers.append("set-cookie", language_cookie_header(settings, issued.language))
    return response


@router.get("/auth/logout", response_class=HTMLResponse)
async def logout_page(request: Request, actor: RequestActor) -> Response:
    """A confirmation with a button: logging out by a plain link would be forgeable."""
    if not actor.is_authenticated:
        return RedirectResponse("/auth/login", status_code=303)
    return render(request, "auth/logout.html")


@router.post("/auth/logout")
async def logout_submit(
    actor: RequestActor, session: SessionDep, settings: SettingsDep
) -> Response:
    """Revoke the session server-side and clear the cookies."""
    await session_service.logout(session, actor)
    response = RedirectResponse("/auth/login", status_code=303)
    set_cookies(response.headers, clear_auth_cookie_headers(settings))
    return response


@router.post("/language")
async def switch_language(
    request: Request,
    actor: RequestActor,
    session: SessionDep,
    settings: SettingsDep,
    language: Annotated[str, Form(max_length=8), CleanText],
    next_url: Annotated[str | None, Form(alias="next", max_length=2000), CleanText] = None,
) -> Response:
    """Switch the interface language (and remember it on the account when signed in)."""
    chosen = normalize_language(language, settings.default_language)
    if actor.is_authenticated:
        await accounts.set_language(session, actor, chosen)
    response = RedirectResponse(safe_next(request, next_url), status_code=303)
    response.headers.append("set-cookie", language_cookie_header(settings, chosen))
    return response
