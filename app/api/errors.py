"""Domain errors to HTTP in one place: JSON under /api, a page (or the login redirect) elsewhere."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.templating import render
from app.core.cookies import clear_auth_cookie_headers
from app.core.errors import AppError, NotAuthenticated
from app.core.i18n import N_, gettext_for
from app.core.middleware import is_api_path


def _language(request: Request) -> str:
    return getattr(request.state, "language", "ru")


async def handle_app_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, AppError)
    message = error.text(_language(request))
    if is_api_path(request.url.path):
        body: dict[str, object] = {"detail": message, "code": error.code}
        if error.field:
            body["field"] = error.field
        response: Response = JSONResponse(body, status_code=error.status_code)
    elif isinstance(error, NotAuthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(f"/auth/login?next={quote(target, safe='')}", status_code=303)
    else:
        response = render(
            request,
            "errors/error.html",
            {"status_code": error.status_code, "message": message},
            status_code=error.status_code,
        )
    if isinstance(error, NotAuthenticated):
        settings = request.app.state.settings
        for name, value in clear_auth_cookie_headers(settings):
            response.headers.append(name.decode(), value.decode())
        if is_api_path(request.url.path):
            response.headers["www-authenticate"] = "Bearer"
    return response


async def handle_http_error(request: Request, error: Exception) -> Response:
    """404/405 from routing: JSON for the API, a page for people."""
    assert isinstance(error, StarletteHTTPException)
    if is_api_path(request.url.path):
        return JSONResponse(
            {"detail": error.detail, "code": "http_error"},
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )
    messages = {404: N_("Page not found"), 405: N_("Method not allowed")}
    message = gettext_for(_language(request), messages.get(error.status_code, str(error.detail)))
    return render(
        request,
        "errors/error.html",
        {"status_code": error.status_code, "message": message},
        status_code=error.status_code,
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
