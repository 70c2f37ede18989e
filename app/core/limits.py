"""Request body limits (pure ASGI), enforced before anything reads or parses a body.

A declared Content-Length over the limit is refused at once, without reading a byte; a body
without one (chunked) is counted as it streams and refused as soon as it passes the limit. So
an anonymous client cannot make the app buffer and parse a 64 MB login, and a teacher cannot
store a 10 MB lesson. Nothing large is expected: files go straight to S3 by presigned URL.

Two limits, both settings: `max_body_bytes` for everything, `max_content_body_bytes` for the
routes that carry lesson content or a student's work (`CONTENT_ROUTES`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from app.core.config import Settings
from app.core.errors import TooLarge
from app.core.i18n import N_, gettext_for

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY_TOO_LARGE = N_("The request is too large: at most {size} KB")

# The routes whose bodies may be big, by path (this runs before routing): a lesson's whole
# content (create, update), the builder's block forms, a quiz file to import (up to 1 MiB,
# app.schemas.lms.quiz_import), and a student's answers and the teacher's grading (answers up
# to 256 KB, feedback up to 20,000 characters), API and pages.
CONTENT_ROUTES = re.compile(
    r"/api/v1/lessons(?:/[^/]+)?"
    r"|/lessons/[^/]+/blocks(?:/.*)?"
    r"|(?:/api/v1)?/lessons/(?:[^/]+/)?import(?:/preview)?"
    r"|/api/v1/assignments/[^/]+/(?:progress|submit|grade)"
    r"|/assignments/[^/]+/(?:save|submit|grade)"
)


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit.

    An HTTPException on purpose: FastAPI lets one raised while it reads the body through
    (anything else becomes a 400), so `app.api.errors` answers it in the API's error shape;
    raised where no handler is (the CSRF middleware reading a form), this middleware answers.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=TooLarge.status_code)
        self.limit = limit

    def text(self, language: str) -> str:
        return gettext_for(language, BODY_TOO_LARGE).format(size=self.limit // 1024)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def limit_for(self, path: str) -> int:
        if CONTENT_ROUTES.fullmatch(path):
            return self.settings.max_content_body_bytes
        return self.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, send, BodyTooLarge(limit))
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                # Counted even under a Content-Length: the server may not hold the client to it.
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge as error:
            if response_started:
                raise
            await self._refuse(scope, send, error)

    async def _refuse(self, scope: Scope, send: Send, error: BodyTooLarge) -> None:
        language = scope.get("state", {}).get("language") or self.settings.default_language
        text = error.text(language)
        if scope["path"].startswith("/api/"):
            # The shape of app.schemas.errors.ErrorResponse (core cannot import schemas).
            body = json.dumps({"detail": text, "code": TooLarge.code, "field": None}).encode()
            content_type = b"application/json"
        else:
            body, content_type = text.encode(), b"text/plain; charset=utf-8"
        headers = [(b"content-type", content_type), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    if value is None or not (value.isascii() and value.isdigit()):
        # Missing or malformed: the chunks are counted instead.
        return None
    return int(value)
