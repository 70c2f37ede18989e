"""Pure-ASGI middleware: the security headers of every response.

Registered outermost, so it also sees the answers other middleware gives itself (the login
redirect, 401, a refused CSRF check, a body too large). What it sets:

- everywhere: `X-Content-Type-Options: nosniff`, a `Referrer-Policy`, framing refused
  (`X-Frame-Options` and CSP `frame-ancestors`), HSTS when COOKIE_SECURE says we are on HTTPS;
- pages (HTML): a Content-Security-Policy without 'unsafe-inline' scripts or styles: every script
  and style sheet is a file under /static; images may come from any https host (markdown
  images, media links), never over http; frames only from the video players lessons embed
  (`VIDEO_PLAYER_ORIGINS`);
- everything else: `default-src 'none'` (a JSON answer or a file opened directly runs nothing);
- /docs (Swagger UI): its own policy, see `DOCS_POLICY`;
- `Cache-Control: no-store` on everything but static files, unless a route chose its own: the
  pages and API answers carry a person's data, and Back after logging out must not show them
  from the browser's cache.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders

from app.core.config import Settings
from app.core.middleware import ASGIApp, Message, Receive, Scope, Send

# The video players a lesson's video block may show, in this order: YouTube (its no-cookie
# host), VK Video on vk.com and on vkvideo.ru, Rutube. app/schemas/lms/blocks/embeds.py builds
# their addresses; the pages may frame nothing else.
VIDEO_PLAYER_ORIGINS = (
    "https://www.youtube-nocookie.com",
    "https://vk.com",
    "https://vkvideo.ru",
    "https://rutube.ru",
)

PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https:",
        # Video blocks' players (YouTube, VK Video, Rutube) and nothing else.
        "frame-src " + " ".join(VIDEO_PLAYER_ORIGINS),
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI (app/api/docs.py) is served from this app and started by a file under /static:
# scripts from 'self' only, no CDN, no hash. No 'unsafe-inline' styles either: with the
# BaseLayout and the apis preset alone (not the standalone preset, whose logo is an inline
# <style>), Swagger UI styles elements through the CSSOM, which CSP allows; the browser test
# tests/e2e/test_docs_page.py renders, expands and runs operations with no violation. Images are
# its own and the data: URLs in its style sheet; `validatorUrl: null` keeps it from asking a
# third party to check the schema.
DOCS_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"
REFERRER_POLICY = "same-origin"

STATIC_PREFIX = "/static/"
DOCS_PATHS = ("/docs",)


def _is_under(path: str, prefixes: Iterable[str]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


class SecurityHeadersMiddleware:
    """Adds the security headers to every response the app (or inner middleware) sends."""

    def __init__(
        self, app: ASGIApp, settings: Settings, docs_paths: tuple[str, ...] = DOCS_PATHS
    ) -> None:
        self.app = app
        self.hsts = settings.cookie_secure
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_static = path.startswith(STATIC_PREFIX)
        is_docs = _is_under(path, self.docs_paths)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._common(headers, is_static)
                is_html = headers.get("content-type", "").startswith("text/html")
                if is_docs and is_html:
                    headers["Content-Security-Policy"] = DOCS_POLICY
                elif "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = PAGE_POLICY if is_html else OTHER_POLICY
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _common(self, headers: MutableHeaders, is_static: bool) -> None:
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = REFERRER_POLICY
        if self.hsts:
            headers["Strict-Transport-Security"] = HSTS
        if not is_static and "cache-control" not in headers:
            headers["Cache-Control"] = "no-store"
