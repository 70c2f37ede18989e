"""Errors to HTTP in one place: JSON under /api, a page (or the login redirect) elsewhere.

Every error reaches these handlers after the request's transaction has rolled back (the session
dependency re-raises), so a failed request never leaves half its writes behind. A page POST
that declared a plan (`app.api.forms`) gets its form again or a flash message; anything else
gets the error page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.forms import CHECK_FIELDS, FormInvalid, PageErrorPlan, page_error_plan
from app.api.templating import (
    PYDANTIC_MESSAGES,
    form_errors,
    language_of,
    own_message,
    redirect_with_flash,
    render,
)
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
from app.core.i18n import N_, gettext_for, translations
from app.core.limits import BodyTooLarge
from app.core.middleware import is_api_path, login_location
from app.schemas.errors import ErrorResponse, FieldError

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
        return RedirectResponse(login_location(request.scope, request.headers), status_code=303)
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


# --- the JSON API's one error shape (app.schemas.errors)

SEVERAL_INVALID = N_("Some fields are filled in incorrectly")
INVALID_VALUE = N_("Enter a valid value")
REQUEST_REFUSED = N_("The request was refused")
HTTP_MESSAGES = {
    400: N_("The request could not be read"),
    404: N_("Page not found"),
    405: N_("Method not allowed"),
}
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
# Pydantic's own messages are English and some quote the input: API bodies get these instead
# (the types forms produce are translated by `form_errors`). Anything else: INVALID_VALUE.
API_MESSAGES = {
    **PYDANTIC_MESSAGES,
    "json_invalid": N_("The request body is not valid JSON"),
    "model_type": N_("Send an object here"),
    "model_attributes_type": N_("Send an object here"),
    "dict_type": N_("Send an object here"),
    "list_type": N_("Send a list here"),
    "extra_forbidden": N_("This field is not allowed here"),
    "int_parsing_size": N_("Enter a whole number"),
    "float_type": N_("Enter a number"),
    "float_parsing": N_("Enter a number"),
    "bool_type": N_("Enter true or false"),
    "bool_parsing": N_("Enter true or false"),
    "string_type": N_("Enter text"),
    "literal_error": N_("Choose from the list"),
    "enum": N_("Choose from the list"),
    "union_tag_invalid": N_("Choose from the list"),
    "union_tag_not_found": N_("Choose from the list"),
    "datetime_type": N_("Enter a date and time such as 2026-09-01T10:00:00+03:00"),
    "datetime_parsing": N_("Enter a date and time such as 2026-09-01T10:00:00+03:00"),
    "datetime_from_date_parsing": N_("Enter a date and time such as 2026-09-01T10:00:00+03:00"),
    "timezone_aware": N_("Give the time zone too, such as +03:00"),
}
# Context values the messages above may show: limits from the schema, never the input.
_SHOWN_CONTEXT = frozenset({"gt", "ge", "lt", "le", "min_length", "max_length"})
# Where FastAPI says a request value came from: the first element of its error's `loc`.
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})
MAX_FIELD_PATH = 200


class _ErrorJSON(JSONResponse):
    """Never fails to render: text that cannot be encoded (a lone surrogate in a key the client
    sent, named in `field`) is replaced, so an error can never turn into a 500."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8", "replace"
        )


def _error_json(
    error: ErrorResponse, status_code: int, headers: Mapping[str, str] | None = None
) -> Response:
    return _ErrorJSON(error.body(), status_code=status_code, headers=headers)


class _Indexed:
    """Pydantic-style error items, each at its own position as its `loc`: `form_errors` keys
    its messages by `loc[0]`, so it translates each item once, under its index."""

    def __init__(self, items: Sequence[Mapping[str, Any]]) -> None:
        self.items = [{"msg": "", **item, "loc": (index,)} for index, item in enumerate(items)]

    def errors(self) -> list[dict[str, Any]]:
        return self.items


def _api_message(item: Mapping[str, Any], language: str) -> str:
    own = own_message(translations(language).gettext, item)
    if own is not None:
        return own
    message = API_MESSAGES.get(str(item.get("type")))
    if message is not None:
        context = {k: str(v) for k, v in (item.get("ctx") or {}).items() if k in _SHOWN_CONTEXT}
        try:
            return gettext_for(language, message).format(**context)
        except (KeyError, IndexError):
            return gettext_for(language, INVALID_VALUE)
    text = str(item.get("msg", ""))
    if text and gettext_for("ru", text) != text:
        # A schema's own message that is one of our msgids.
        return gettext_for(language, text)
    return gettext_for(language, INVALID_VALUE)


def _field_path(item: Mapping[str, Any], *, in_request: bool) -> str | None:
    loc = list(item.get("loc") or ())
    if in_request and loc and loc[0] in _LOCATIONS:
        loc = loc[1:]
    if not loc or item.get("type") == "json_invalid":  # its loc is a character position
        return None
    return ".".join(str(part) for part in loc)[:MAX_FIELD_PATH]


def _field_errors_of(
    items: Sequence[Mapping[str, Any]], language: str, *, in_request: bool
) -> list[FieldError]:
    """Each pydantic error as a field, a translated message and a code; never the input."""
    indexed = cast(ValidationError, _Indexed(items))
    translated = form_errors(indexed, language)
    # What `form_errors` does not know it passes through in pydantic's English; the Russian
    # answer tells which those are (an English message may equal pydantic's on purpose).
    russian = translated if language == "ru" else form_errors(indexed, "ru")
    result = []
    for index, item in enumerate(items):
        message = translated.get(str(index), "")
        if not message or russian.get(str(index)) == item.get("msg"):
            message = _api_message(item, language)
        code = str(item.get("type", InvalidInput.code))[:64]
        result.append(
            FieldError(field=_field_path(item, in_request=in_request), message=message, code=code)
        )
    return result


def _invalid(items: Sequence[Mapping[str, Any]], language: str, *, in_request: bool) -> Response:
    errors = _field_errors_of(items, language, in_request=in_request)
    detail = errors[0].message if len(errors) == 1 else gettext_for(language, SEVERAL_INVALID)
    field = errors[0].field if errors else None
    body = ErrorResponse(detail=detail, code=InvalidInput.code, field=field, errors=errors)
    return _error_json(body, InvalidInput.status_code)


def _api_error(error: AppError, language: str) -> Response:
    text = error.text(language)
    errors: list[FieldError] | None = None
    if isinstance(error, FormInvalid):
        errors = [
            FieldError(field=None if name == "__all__" else name, message=msg, code=error.code)
            for name, msg in error.errors.items()
        ]
    elif isinstance(error, InvalidInput):
        # Every 422 lists its fields, whether pydantic or a service found the problem.
        errors = [FieldError(field=error.field, message=text, code=error.code)]
    body = ErrorResponse(detail=text, code=error.code, field=error.field, errors=errors)
    return _error_json(body, error.status_code)


def _is_unreadable_body(error: StarletteHTTPException) -> bool:
    """FastAPI answers 400 when a body cannot even be decoded (not UTF-8, nested too deep):
    for the API that is invalid JSON like any other, a 422."""
    return error.status_code == 400 and error.__cause__ is not None


async def handle_app_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, AppError)
    if is_api_path(request.url.path):
        response: Response = _api_error(error, language_of(request))
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
        return _invalid(error.errors(), language_of(request), in_request=False)
    return await _page_error(request, error)


async def handle_request_validation_error(request: Request, error: Exception) -> Response:
    """FastAPI refused a request's parameters or body before the route ran."""
    assert isinstance(error, RequestValidationError)
    language = language_of(request)
    if is_api_path(request.url.path):
        return _invalid(error.errors(), language, in_request=True)
    # Pages parse their forms themselves; this is a bad path or query parameter.
    errors = _field_errors_of(error.errors(), language, in_request=True)
    message = errors[0].message if errors else gettext_for(language, CHECK_FIELDS)
    return render(
        request,
        "errors/error.html",
        {"status_code": InvalidInput.status_code, "message": message},
        status_code=InvalidInput.status_code,
    )


async def handle_http_error(request: Request, error: Exception) -> Response:
    """404/405 from routing, 413 from the body limit, 400 from body parsing: JSON for the
    API, a page for people."""
    assert isinstance(error, StarletteHTTPException)
    language = language_of(request)
    if is_api_path(request.url.path) and _is_unreadable_body(error):
        return _invalid([{"type": "json_invalid", "loc": ("body",)}], language, in_request=True)
    if isinstance(error, BodyTooLarge):
        message = error.text(language)
    else:
        message = gettext_for(language, HTTP_MESSAGES.get(error.status_code, REQUEST_REFUSED))
    if is_api_path(request.url.path):
        code = HTTP_CODES.get(error.status_code, "http_error")
        return _error_json(
            ErrorResponse(detail=message, code=code, field=None),
            error.status_code,
            headers=getattr(error, "headers", None),
        )
    return render(
        request,
        "errors/error.html",
        {"status_code": error.status_code, "message": message},
        status_code=error.status_code,
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(ValidationError, handle_validation_error)
    app.add_exception_handler(RequestValidationError, handle_request_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
