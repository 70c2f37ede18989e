"""Pure-ASGI middleware: identify the caller, renew expired sessions, guard against CSRF.

The middleware identifies; route dependencies authorize. It puts an `Actor` (or anonymous) in
`scope["state"]["actor"]` and answers the unauthenticated cases itself: outside EXCLUDED_PATHS an
HTML request without a session is redirected (303) to the login page, an API request gets 401.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from starlette.datastructures import Headers, MutableHeaders

from app.core.actor import Actor
from app.core.config import Settings
from app.core.cookies import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    REFRESH_COOKIE,
    clear_auth_cookie_headers,
    csrf_cookie_header,
    set_cookies,
)
from app.core.i18n import LANGUAGE_COOKIE, N_, gettext_for, normalize_language
from app.core.security import InvalidToken, decode_access_token

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Form bodies are read here for the CSRF field; nothing a form posts is larger than this.
MAX_FORM_BODY = 1024 * 1024

# The refresh endpoint renews explicitly; renewing here too would rotate the token twice (and
# clearing cookies here would undo what the endpoint sets).
NO_AUTOMATIC_RENEWAL = frozenset({"/api/v1/auth/refresh"})

SessionRenewer = Callable[[Scope, str], Awaitable[tuple[Actor, list[tuple[bytes, bytes]]] | None]]


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def _path_is_excluded(path: str, excluded: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in excluded)


def _read_cookies(headers: Headers) -> dict[str, str]:
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header is treated as no cookies at all
        return {}
    return {key: morsel.value for key, morsel in cookie.items()}


class AuthMiddleware:
    """Reads the session cookie (or a Bearer token) once per request and sets the actor."""

    def __init__(self, app: ASGIApp, settings: Settings, renew_session: SessionRenewer) -> None:
        self.app = app
        self.settings = settings
        self.renew_session = renew_session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = _read_cookies(headers)
        state = scope.setdefault("state", {})
        state["cookies"] = cookies
        state["language"] = normalize_language(
            cookies.get(LANGUAGE_COOKIE), self.settings.default_language
        )
        extra_headers: list[tuple[bytes, bytes]] = []

        actor, via_cookie = Actor.anonymous(), False
        authorization = headers.get("authorization", "")
        token = None
        if authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        elif ACCESS_COOKIE in cookies:
            token, via_cookie = cookies[ACCESS_COOKIE], True
        if token:
            try:
                claims = decode_access_token(self.settings, token)
                actor = Actor(
                    user_id=claims.user_id,
                    role=claims.role,
                    teacher_id=claims.teacher_id,
                    student_id=claims.student_id,
                    session_id=claims.session_id,
                )
            except InvalidToken:
                actor = Actor.anonymous()
        renewable = scope["path"] not in NO_AUTOMATIC_RENEWAL
        if not actor.is_authenticated and REFRESH_COOKIE in cookies and renewable:
            renewed = await self.renew_session(scope, cookies[REFRESH_COOKIE])
            if renewed is not None:
                actor, extra_headers = renewed
                via_cookie = True
            elif token or cookies.get(REFRESH_COOKIE):
                extra_headers = clear_auth_cookie_headers(self.settings)
        state["actor"] = actor
        state["authenticated_by_cookie"] = via_cookie

        path = scope["path"]
        if not actor.is_authenticated and not _path_is_excluded(path, self.settings.excluded_paths):
            await self._unauthenticated(scope, send, path, extra_headers, state["language"])
            return

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start" and extra_headers:
                set_cookies(MutableHeaders(scope=message), extra_headers)
            await send(message)

        await self.app(scope, receive, send_with_cookies)

    async def _unauthenticated(
        self,
        scope: Scope,
        send: Send,
        path: str,
        extra_headers: list[tuple[bytes, bytes]],
        language: str,
    ) -> None:
        if is_api_path(path):
            body = json.dumps(
                {"detail": gettext_for(language, "Not authenticated"), "code": "not_authenticated"}
            ).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"www-authenticate", b"Bearer"),
                *extra_headers,
            ]
            await _respond(send, 401, headers, body)
            return
        target = path
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        location = "/auth/login?next=" + quote(target, safe="")
        await _respond(send, 303, [(b"location", location.encode()), *extra_headers], b"")


class CSRFMiddleware:
    """Double-submit token plus an Origin check for state-changing, cookie-authenticated requests.

    The token may come in the `X-CSRF-Token` header (API clients, scripts) or the `csrf_token`
    form field (plain HTML forms). Bearer-token requests carry no ambient credentials and skip it.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        state = scope.setdefault("state", {})
        cookies: dict[str, str] = state.get("cookies") or _read_cookies(headers)
        cookie_token = cookies.get(CSRF_COOKIE)
        issue_cookie = not cookie_token
        if not cookie_token:
            cookie_token = secrets.token_urlsafe(32)
        state["csrf_token"] = cookie_token

        if scope["method"] not in SAFE_METHODS and self._needs_check(headers, cookies):
            if not self._origin_is_ours(scope, headers):
                await self._reject(scope, send, N_("Cross-site request refused"))
                return
            sent_token = headers.get(CSRF_HEADER)
            if sent_token is None and _is_form(headers):
                body = await _read_body(receive, MAX_FORM_BODY)
                if body is None:
                    await _respond(send, 413, [(b"content-type", b"text/plain")], b"Form too large")
                    return
                receive = _replay(body, receive)
                if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                    values = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FORM_FIELD)
                    sent_token = values[0] if values else None
            if (
                issue_cookie
                or not sent_token
                or not secrets.compare_digest(sent_token, cookie_token)
            ):
                await self._reject(scope, send, N_("CSRF token missing or invalid"))
                return

        async def send_with_csrf_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and issue_cookie:
                MutableHeaders(scope=message).append(
                    "set-cookie", csrf_cookie_header(self.settings, cookie_token)
                )
            await send(message)

        await self.app(scope, receive, send_with_csrf_cookie)

    @staticmethod
    def _needs_check(headers: Headers, cookies: dict[str, str]) -> bool:
        if headers.get("authorization", "").lower().startswith("bearer "):
            return False
        # Any request that could ride on the browser's cookies: a session, or a login form post
        # (login CSRF would sign a victim into the attacker's account).
        return bool(cookies) or _is_form(headers)

    @staticmethod
    def _origin_is_ours(scope: Scope, headers: Headers) -> bool:
        source = headers.get("origin") or headers.get("referer")
        if not source:
            # Non-browser clients send neither; the double-submit token still has to match.
            return True
        if source == "null":
            return False
        host = headers.get("host", "")
        return urlsplit(source).netloc == host

    async def _reject(self, scope: Scope, send: Send, message: str) -> None:
        language = scope.get("state", {}).get("language", "ru")
        text = gettext_for(language, message)
        if is_api_path(scope["path"]):
            body = json.dumps({"detail": text, "code": "csrf_failed"}).encode()
            await _respond(send, 403, [(b"content-type", b"application/json")], body)
        else:
            await _respond(
                send, 403, [(b"content-type", b"text/plain; charset=utf-8")], text.encode()
            )


def _is_form(headers: Headers) -> bool:
    content_type = headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """Hand the buffered body to the app once, then pass through (to see a real disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await original()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
