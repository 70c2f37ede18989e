"""The names and attributes of every cookie the platform sets, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders

from app.core.config import Settings

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrf-token"
CSRF_FORM_FIELD = "csrf_token"
# Set by a successful login; a later login to the same account from this browser is a known
# device's (app.core.security.hasher_turn). Kept across logouts: it recognises the browser.
KNOWN_DEVICE_COOKIE = "known_device"
# The refresh cookie is sent only where it is needed: the refresh endpoint, logout, and the
# middleware's transparent renewal (which runs on any path, hence "/").
REFRESH_COOKIE_PATH = "/"
ONE_YEAR = 365 * 24 * 3600


def _header(
    settings: Settings,
    name: str,
    value: str,
    *,
    max_age: int,
    http_only: bool = True,
    path: str = "/",
) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = path
    morsel["max-age"] = str(max_age)
    morsel["samesite"] = "Lax"
    if http_only:
        morsel["httponly"] = True
    if settings.cookie_secure:
        morsel["secure"] = True
    return morsel.OutputString()


def set_cookies(headers: MutableHeaders, cookies: Iterable[tuple[bytes, bytes]]) -> None:
    """Add `Set-Cookie` headers (as the functions below build them) to a response's headers."""
    for name, value in cookies:
        headers.append(name.decode(), value.decode())


def session_cookie_headers(
    settings: Settings,
    access_token: str,
    refresh_token: str | None,
    device_token: str | None = None,
) -> list[tuple[bytes, bytes]]:
    """The session cookies; without a refresh token only the access cookie is renewed. A login
    also (re)sets the known-device cookie."""
    access = _header(
        settings, ACCESS_COOKIE, access_token, max_age=settings.access_token_expire_minutes * 60
    )
    headers = [(b"set-cookie", access.encode())]
    if refresh_token is not None:
        refresh = _header(
            settings,
            REFRESH_COOKIE,
            refresh_token,
            max_age=settings.refresh_token_expire_days * 24 * 3600,
            path=REFRESH_COOKIE_PATH,
        )
        headers.append((b"set-cookie", refresh.encode()))
    if device_token is not None:
        device = _header(settings, KNOWN_DEVICE_COOKIE, device_token, max_age=ONE_YEAR)
        headers.append((b"set-cookie", device.encode()))
    return headers


def clear_auth_cookie_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    return [
        (b"set-cookie", _header(settings, ACCESS_COOKIE, "", max_age=0).encode()),
        (
            b"set-cookie",
            _header(settings, REFRESH_COOKIE, "", max_age=0, path=REFRESH_COOKIE_PATH).encode(),
        ),
    ]


def csrf_cookie_header(settings: Settings, token: str) -> str:
    # Readable by the page's own scripts (double-submit), so not HttpOnly.
    return _header(settings, CSRF_COOKIE, token, max_age=ONE_YEAR, http_only=False)


def language_cookie_header(settings: Settings, language: str) -> str:
    return _header(settings, "lang", language, max_age=ONE_YEAR, http_only=False)
