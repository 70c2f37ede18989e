"""Pure-ASGI middleware: identify the caller, renew expired sessions, guard against CSRF.

The middleware identifies; route dependencies authorize. It puts an `Actor` (or anonymous) in
`scope["state"]["actor"]` and answers the unauthenticated cases itself: outside EXCLUDED_PATHS an
HTML request without a session is redirected (303) to the login page, an API request gets 401.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from enum import StrEnum
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header
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
# A multipart body is read here only up to its csrf_token field, and at most this far (the rest
# streams on to the app unread). Url-encoded forms are read whole, within the route's body limit.
MAX_FORM_BODY = 1024 * 1024
# Tokens are 43 characters; a longer field value is no token and is not kept in full.
MAX_CSRF_TOKEN = 256
# Keys in `scope["state"]`: how the actor was authenticated, and a token rotated by the route.
AUTH_METHOD = "auth_method"
CSRF_ROTATED = "csrf_rotated"

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


class AuthMethod(StrEnum):
    """How the request's actor was authenticated (`scope["state"]["auth_method"]`): the CSRF
    check depends on it, not on which headers happen to be present."""

    BEARER = "bearer"  # a valid access token in `Authorization: Bearer`: no ambient credential
    COOKIE = "cookie"  # the access cookie, or the refresh cookie's transparent renewal


class AuthMiddleware:
    """Reads the session cookie (or a Bearer token) once per request and sets the actor.

    A request that presents `Authorization: Bearer` is judged by that token alone: a valid one
    authenticates it (and only then is the CSRF check skipped); an invalid or expired one is
    answered 401 outside EXCLUDED_PATHS and never falls back to the cookies or the refresh
    cookie. Otherwise a junk header would make the cookies authenticate a request that the
    CSRF check had waved through as "Bearer". On an excluded path (the login form, say) an
    invalid bearer is ignored: the request goes on anonymous, and cookie rules apply to it.
    """

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
        path = scope["path"]
        excluded = _path_is_excluded(path, self.settings.excluded_paths)
        extra_headers: list[tuple[bytes, bytes]] = []

        actor, method = Actor.anonymous(), None
        authorization = headers.get("authorization", "")
        if authorization[:7].lower() == "bearer ":
            actor = self._actor_of(authorization[7:].strip())
            if actor.is_authenticated:
                method = AuthMethod.BEARER
            elif not excluded:
                await self._unauthenticated(scope, send, path, [], state["language"], bearer=True)
                return
        else:
            token = cookies.get(ACCESS_COOKIE)
            if token:
                actor = self._actor_of(token)
                method = AuthMethod.COOKIE if actor.is_authenticated else None
            renewable = path not in NO_AUTOMATIC_RENEWAL
            if not actor.is_authenticated and REFRESH_COOKIE in cookies and renewable:
                renewed = await self.renew_session(scope, cookies[REFRESH_COOKIE])
                if renewed is not None:
                    actor, extra_headers = renewed
                    method = AuthMethod.COOKIE
                elif token or cookies.get(REFRESH_COOKIE):
                    extra_headers = clear_auth_cookie_headers(self.settings)
        state["actor"] = actor
        state[AUTH_METHOD] = method

        if not actor.is_authenticated and not excluded:
            await self._unauthenticated(scope, send, path, extra_headers, state["language"])
            return

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start" and extra_headers:
                set_cookies(MutableHeaders(scope=message), extra_headers)
            await send(message)

        await self.app(scope, receive, send_with_cookies)

    def _actor_of(self, token: str) -> Actor:
        try:
            claims = decode_access_token(self.settings, token)
        except InvalidToken:
            return Actor.anonymous()
        return Actor(
            user_id=claims.user_id,
            role=claims.role,
            teacher_id=claims.teacher_id,
            student_id=claims.student_id,
            session_id=claims.session_id,
        )

    async def _unauthenticated(
        self,
        scope: Scope,
        send: Send,
        path: str,
        extra_headers: list[tuple[bytes, bytes]],
        language: str,
        *,
        bearer: bool = False,
    ) -> None:
        if bearer or is_api_path(path):
            body = json.dumps(
                {
                    "detail": gettext_for(language, "Not authenticated"),
                    "code": "not_authenticated",
                    "field": None,
                }
            ).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"www-authenticate", b"Bearer"),
                *extra_headers,
            ]
            await _respond(send, 401, headers, body)
            return
        location = login_location(scope, Headers(scope=scope))
        await _respond(send, 303, [(b"location", location.encode()), *extra_headers], b"")


def login_location(scope: Scope, headers: Headers) -> str:
    """Where an unauthenticated page request is sent: the login form, and back after it.

    A GET comes back to what it asked for. Any other method cannot be repeated by a redirect
    (after the login the browser would GET a URL that only takes POST: a 405 page), so it comes
    back to the page the form was on (the same-origin Referer), or to the login's default.
    """
    if scope["method"] in ("GET", "HEAD"):
        target = scope["path"]
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
    else:
        target = _same_origin_referer_path(scope, headers)
    return "/auth/login?next=" + quote(target, safe="") if target else "/auth/login"


def _same_origin_referer_path(scope: Scope, headers: Headers) -> str:
    referer = headers.get("referer", "")
    own = _own_origin(scope, headers)
    if not referer or own is None or _origin(referer) != own:
        return ""
    parts = urlsplit(referer)
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


def rotate_csrf_token(scope: Scope) -> str:
    """Give the browser a fresh CSRF token with this response (at login: a token planted in the
    browser before it, by whoever could set a cookie, does not carry over into the session).
    Forms rendered later in the same request use it too."""
    token = secrets.token_urlsafe(32)
    state = scope.setdefault("state", {})
    state["csrf_token"] = token
    state[CSRF_ROTATED] = True
    return token


class CSRFMiddleware:
    """Double-submit token plus an Origin check for state-changing, cookie-authenticated requests.

    The token may come in the `X-CSRF-Token` header (API clients, scripts) or the `csrf_token`
    form field (plain HTML forms, url-encoded or multipart). Only a request that AuthMiddleware
    authenticated by a valid Bearer token skips the check: it carries no ambient credential.
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

        if scope["method"] not in SAFE_METHODS and self._needs_check(state, headers, cookies):
            if not _origin_is_ours(scope, headers):
                await self._reject(scope, send, N_("Cross-site request refused"))
                return
            sent_token = headers.get(CSRF_HEADER)
            if sent_token is None and _is_form(headers):
                sent_token, receive = await _form_token(headers, receive)
            if (
                issue_cookie
                or not sent_token
                or not secrets.compare_digest(sent_token, cookie_token)
            ):
                await self._reject(scope, send, N_("CSRF token missing or invalid"))
                return

        async def send_with_csrf_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and (
                issue_cookie or state.get(CSRF_ROTATED)
            ):
                MutableHeaders(scope=message).append(
                    "set-cookie", csrf_cookie_header(self.settings, state["csrf_token"])
                )
            await send(message)

        await self.app(scope, receive, send_with_csrf_cookie)

    @staticmethod
    def _needs_check(state: dict[str, Any], headers: Headers, cookies: dict[str, str]) -> bool:
        if state.get(AUTH_METHOD) is AuthMethod.BEARER:
            return False
        # Any request that could ride on the browser's cookies: a session, or a login form post
        # (login CSRF would sign a victim into the attacker's account).
        return bool(cookies) or _is_form(headers)

    async def _reject(self, scope: Scope, send: Send, message: str) -> None:
        language = scope.get("state", {}).get("language", "ru")
        text = gettext_for(language, message)
        if is_api_path(scope["path"]):
            body = json.dumps({"detail": text, "code": "csrf_failed", "field": None}).encode()
            await _respond(send, 403, [(b"content-type", b"application/json")], body)
        else:
            await _respond(
                send, 403, [(b"content-type", b"text/plain; charset=utf-8")], text.encode()
            )


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port filled in; None for anything not http(s)."""
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:  # a port that is not a number, a malformed IPv6 address
        return None
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host.lower(), port or _DEFAULT_PORTS[scheme]


def _own_origin(scope: Scope, headers: Headers) -> tuple[str, str, int] | None:
    """Where this request was sent to: its scheme as the server saw it (behind a proxy, what
    uvicorn's proxy headers say) and the Host it named, or the server's own address."""
    scheme = str(scope.get("scheme", "http"))
    host = headers.get("host")
    if not host and scope.get("server"):
        server_host, server_port = scope["server"]
        host = f"{server_host}:{server_port}"
    return _origin(f"{scheme}://{host}") if host else None


def _origin_is_ours(scope: Scope, headers: Headers) -> bool:
    source = headers.get("origin") or headers.get("referer")
    if not source:
        # Non-browser clients send neither; the double-submit token still has to match.
        return True
    if source == "null":
        return False
    own = _own_origin(scope, headers)
    return own is not None and _origin(source) == own


async def _form_token(headers: Headers, receive: Receive) -> tuple[str | None, Receive]:
    """The form's `csrf_token` field and a `receive` that hands the app the whole body still.

    A url-encoded form is read whole: `receive` is app.core.limits's, which raises BodyTooLarge
    (answered by that middleware, in the one error shape) as soon as the route's limit is
    passed, so no form larger than its route allows is ever buffered here."""
    content_type = headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return await _multipart_token(content_type, receive)
    body = await _read_body(receive)
    values = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FORM_FIELD)
    return (values[0] if values else None), _replay(body, False, receive)


class _MultipartTokenFinder:
    """Streams a multipart body through python-multipart's parser until the `csrf_token` part
    has ended. Nothing but that field's value is kept."""

    def __init__(self, boundary: bytes) -> None:
        self.token: str | None = None
        self.done = False
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._in_token = False
        self._value = bytearray()
        self._parser = MultipartParser(
            boundary,
            {
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except MultipartParseError:
            self.done = True  # not a form we can read: no token, refused by the caller

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        if bytes(self._header_field).lower() == b"content-disposition":
            _, options = parse_options_header(bytes(self._header_value))
            self._in_token = options.get(b"name") == CSRF_FORM_FIELD.encode()
        self._header_field.clear()
        self._header_value.clear()

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_token and len(self._value) <= MAX_CSRF_TOKEN:
            self._value += data[start:end]

    def _on_part_end(self) -> None:
        if self._in_token:
            self.token = bytes(self._value[: MAX_CSRF_TOKEN + 1]).decode("utf-8", "replace")
            self.done = True
        self._in_token = False

    def _on_end(self) -> None:
        self.done = True


async def _multipart_token(content_type: str, receive: Receive) -> tuple[str | None, Receive]:
    """Read a multipart body only as far as its `csrf_token` field (forms put it first, so
    that is the first few hundred bytes); the rest streams on to the app unread. A field
    not found within MAX_FORM_BODY counts as missing: an upload is never buffered whole here."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        return None, receive
    finder = _MultipartTokenFinder(boundary)
    chunks: list[bytes] = []
    size, more = 0, True
    while more and not finder.done and size <= MAX_FORM_BODY:
        message = await receive()
        if message["type"] == "http.disconnect":
            more = False
            break
        chunk = message.get("body", b"")
        more = bool(message.get("more_body", False))
        size += len(chunk)
        chunks.append(chunk)
        finder.feed(chunk)
    return finder.token, _replay(b"".join(chunks), more, receive)


def _is_form(headers: Headers) -> bool:
    content_type = headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, more: bool, original: Receive) -> Receive:
    """Hand the buffered start of the body to the app once, then pass through: the rest of the
    body when `more`, else (to see a real disconnect) whatever comes."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await original()
        sent = True
        return {"type": "http.request", "body": body, "more_body": more}

    return receive


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
