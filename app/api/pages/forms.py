"""Parsing HTML forms into the same Pydantic schemas the JSON API uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from app.api.templating import form_errors, redirect_with_flash, render
from app.core.cookies import CSRF_FORM_FIELD
from app.core.errors import Conflict

M = TypeVar("M", bound=BaseModel)

# Form fields that are not part of any schema.
_NOT_DATA = frozenset({CSRF_FORM_FIELD, "next"})


async def read_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(value) for key, value in form.items() if key not in _NOT_DATA}


def parse_form(
    schema: type[M], data: dict[str, Any], language: str, *, optional_blank: bool = True
) -> tuple[M | None, dict[str, str]]:
    """A schema instance, or the field → message errors to show next to each field.

    Blank optional inputs mean "not given" (an empty date box is no birthday, not an error).
    """
    cleaned = {k: v for k, v in data.items() if not (optional_blank and v == "")}
    try:
        return schema.model_validate(cleaned), {}
    except ValidationError as error:
        return None, form_errors(error, language)


def update_form_data(values: dict[str, str]) -> dict[str, Any]:
    """An edit form's fields as an update: a blank password keeps the old one, blank optional
    fields clear the value, and an unticked "active" box means inactive."""
    data: dict[str, Any] = {k: v for k, v in values.items() if k != "is_active"}
    if not data.get("password"):
        data.pop("password", None)
    for field in ("second_name", "birthday"):
        if data.get(field) == "":
            data[field] = None
    data["is_active"] = values.get("is_active") == "on"
    return data


async def submit_person_form(
    request: Request,
    schema: type[M],
    *,
    save: Callable[[M], Awaitable[str]],
    template: str,
    context: dict[str, Any],
    success_url: str,
    is_update: bool = False,
) -> Response:
    """The shared create/edit flow for person forms (teachers, students).

    Valid input is saved and answered with 303 to `success_url` and a flash message (what `save`
    returns); invalid input re-renders the form with a message at each field: 422, or 409 for a
    taken e-mail. The typed password is never echoed back.
    """
    values = await read_form(request)
    language = request.state.language
    raw = update_form_data(values) if is_update else values
    data, errors = parse_form(schema, raw, language, optional_blank=not is_update)
    status_code = 422
    if data is not None:
        try:
            message = await save(data)
        except Conflict as error:
            errors = {error.field or "__all__": error.text(language)}
            status_code = 409
        else:
            return redirect_with_flash(request, success_url, message)
    values.pop("password", None)
    return render(
        request, template, {**context, "values": values, "errors": errors}, status_code=status_code
    )
