"""Errors to HTTP in one place: JSON under /api, a page (or the login redirect) elsewhere.

Every error reaches these handlers after the request's transaction has rolled back (the session
dependency re-raises), so a failed request never leaves half its writes behind. A page POST
that declared a plan (`app.api.forms`) gets its form again or a flash message; anything else
gets the error page.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.forms import CHECK_FIELDS, FormInvalid, PageErrorPlan, page_error_plan
from app.api.templating import form_errors, language_of, redirect_with_flash, render
from app.core.actor import Actor
from app.core.cookies import clear_auth_cookie_headers, set_cookies
from app.core.errors import (
    AppError,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    PasswordChangeRequired,
    TooLarge,
)
from app.core.i18n import N_, gettext_for
from app.core.middleware import is_api_path

# Where a page request of a session with a one-time password goes (app.api.accounts).
PASSWORD_CHANGE_PAGE = "/account/password"  # noqa: S105 - a path


def _field_errors(error: Exception, language: str) -> dict[str, str]:
    if isinstance(error, FormInvalid):
        return dict(error.errors)
    if isinstance(error, ValidationError):
        return form_errors(error, language)
    assert isinstance(error, AppError)
    return {error.field or "__all__": error.text(language)}


def _message(error: Exception, plan: PageErrorPlan | None, language: str) -> str:
    """One sentence for a flash or an error page."""
    if isinstance(error, AppError):
        return error.text(language)
    if plan is not None and plan.invalid is not None:
        return gettext_for(language, plan.invalid)
    errors = form_errors(error, language) if isinstance(error, ValidationError) else {}
    return "; ".join(
        message if name == "__all__" else f"{gettext_for(language, name)}: {message}"
        for name, message in errors.items()
    ) or gettext_for(language, CHECK_FIELDS)


def _status(error: Exception) -> int:
    return error.status_code if isinstance(error, AppError) else InvalidInput.status_code


async def _rerender(request: Request, plan: PageErrorPlan, error: Exception) -> Response:
    assert plan.template is not None
    language = language_of(request)
    errors = (plan.errors or _field_errors)(error, language)
    if plan.invalid is not None and isinstance(error, ValidationError):
        errors.setdefault("__all__", gettext_for(language, plan.invalid))
    context: dict[str, object] = {}
    if plan.context is not None:
        actor: Actor = getattr(request.state, "actor", None) or Actor.anonymous()
        # A fresh, read-only unit of work: the failed request's transaction is gone.
        async with request.app.state.db.transaction(actor) as session:
            context = await plan.context(session, error)
    return render(
        request,
        plan.template,
        {"values": dict(plan.values), "errors": errors, **context},
        status_code=_status(error),
    )


def _answers_the_form(error: Exception) -> bool:
    """Errors about what was typed or about the state it met; a missing object stays a 404
    page and a missing login the login page, whatever the form declared."""
    return isinstance(error, ValidationError | InvalidInput | Conflict | TooLarge)


async def _page_error(request: Request, error: Exception) -> Response:
    language = language_of(request)
    plan = page_error_plan(request) if _answers_the_form(error) else None
    if isinstance(error, NotAuthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/auth/login?next={quote(target, safe='')}", status_code=303)
    if isinstance(error, PasswordChangeRequired):
        return RedirectResponse(PASSWORD_CHANGE_PAGE, status_code=303)
    if plan is not None and plan.conflict_redirect is not None and isinstance(error, Conflict):
        return redirect_with_flash(request, plan.conflict_redirect, error.text(language))
    if plan is not None and plan.template is not None:
        return await _rerender(request, plan, error)
    message = _message(error, plan, language)
    if plan is not None and plan.plain_text:
        return PlainTextResponse(message, status_code=_status(error))
    if plan is not None and plan.redirect_to is not None:
        return redirect_with_flash(request, plan.redirect_to, message)
    return render(
        request,
        "errors/error.html",
        {"status_code": _status(error), "message": message},
        status_code=_status(error),
    )


async def handle_app_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, AppError)
    if is_api_path(request.url.path):
        body: dict[str, object] = {"detail": error.text(language_of(request)), "code": error.code}
        if error.field:
            body["field"] = error.field
        response: Response = JSONResponse(body, status_code=error.status_code)
    else:
        response = await _page_error(request, error)
    if isinstance(error, NotAuthenticated):
        settings = request.app.state.settings
        set_cookies(response.headers, clear_auth_cookie_headers(settings))
        if is_api_path(request.url.path):
            response.headers["www-authenticate"] = "Bearer"
    return response


async def handle_validation_error(request: Request, error: Exception) -> Response:
    """A schema a route or service validated by hand (forms, the builder) refused the input."""
    assert isinstance(error, ValidationError)
    if is_api_path(request.url.path):
        details = error.errors(include_url=False, include_input=False, include_context=False)
        return JSONResponse({"detail": jsonable_encoder(details)}, status_code=422)
    return await _page_error(request, error)


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
    message = gettext_for(language_of(request), messages.get(error.status_code, str(error.detail)))
    return render(
        request,
        "errors/error.html",
        {"status_code": error.status_code, "message": message},
        status_code=error.status_code,
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(ValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
