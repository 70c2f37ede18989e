"""HTML forms: parsing them into the same Pydantic schemas the JSON API uses, and saying how a
page answers when its POST fails.

A page POST handler never catches a domain error itself. It declares up front what a failure
looks like for the person (`redirect_on_error` or `rerender_on_error`) and lets the error
escape: the request's transaction rolls back, then `app.api.errors` answers as declared.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.core.cookies import CSRF_FORM_FIELD
from app.core.errors import InvalidInput
from app.core.i18n import N_
from app.schemas.accounts import PersonUpdate
from app.schemas.common import TEXT_CHARACTERS, input_problems

M = TypeVar("M", bound=BaseModel)

# Form fields that are not part of any schema.
_NOT_DATA = frozenset({CSRF_FORM_FIELD, "next"})
# Typed by the person but never sent back to the browser in a re-rendered form.
SECRET_FIELDS = frozenset({"password", "current_password", "new_password"})
BAD_CHOICE = N_("Choose from the list")
CHECK_FIELDS = N_("Check the highlighted fields")

ErrorFields = Callable[[Exception, str], dict[str, str]]
# Re-reads the page's data after the rollback; it sees the error (a form may show it in place).
ContextLoader = Callable[[AsyncSession, Exception], Awaitable[dict[str, Any]]]
PLAN_KEY = "page_error_plan"


@dataclass(frozen=True, slots=True)
class PageErrorPlan:
    """What a failed page POST shows: a flash and 303 to `redirect_to`, or the form again."""

    redirect_to: str | None = None
    template: str | None = None
    # What the person typed, shown again in the re-rendered form (secret fields removed).
    values: Mapping[str, Any] = field(default_factory=dict)
    # What the form page needs besides values and errors, read in a fresh transaction.
    context: ContextLoader | None = None
    # Field name → message, when the form names its fields differently from the error.
    errors: ErrorFields | None = None
    # The message for a pydantic ValidationError, when one sentence says it better.
    invalid: str | None = None
    # Answer in plain text with the error's status (the player's autosave script).
    plain_text: bool = False
    # A Conflict (the thing changed state meanwhile) makes the typed form moot: flash, go here.
    conflict_redirect: str | None = None


class FormInvalid(InvalidInput):
    """Several fields of a page form are wrong at once; `errors` maps each field to its message,
    already in the person's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(CHECK_FIELDS)
        self.errors = errors


def redirect_on_error(
    request: Request, url: str, *, invalid: str | None = None, plain_text: bool = False
) -> None:
    """If this request fails, roll back and go to `url` with the error as a flash message."""
    request.state.page_error_plan = PageErrorPlan(
        redirect_to=url, invalid=invalid, plain_text=plain_text
    )


def rerender_on_error(
    request: Request,
    template: str,
    *,
    values: Mapping[str, Any],
    context: ContextLoader | None = None,
    errors: ErrorFields | None = None,
    invalid: str | None = None,
    conflict_redirect: str | None = None,
) -> None:
    """If this request fails, roll back and show `template` again with a message at each field
    (422, or the error's own status such as 409)."""
    shown = {key: value for key, value in values.items() if key not in SECRET_FIELDS}
    request.state.page_error_plan = PageErrorPlan(
        template=template,
        values=shown,
        context=context,
        errors=errors,
        invalid=invalid,
        conflict_redirect=conflict_redirect,
    )


def page_error_plan(request: Request) -> PageErrorPlan | None:
    plan = getattr(request.state, PLAN_KEY, None)
    return plan if isinstance(plan, PageErrorPlan) else None


async def read_form(request: Request) -> dict[str, str]:
    """A page form's text fields. One PostgreSQL could not store (NUL, an unpaired surrogate)
    is refused here, whichever schema or parser reads the form next: nobody types one, so the
    page says what is wrong (422) rather than re-rendering the form."""
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if key not in _NOT_DATA}
    if problems := input_problems(values):
        raise InvalidInput(TEXT_CHARACTERS, field=str(problems[0]["loc"][0]))
    return values


def form_ids(form: FormData, name: str, *, message: str = BAD_CHOICE) -> list[int]:
    """The ids a form's checkboxes or selects sent; anything that is not an id is refused."""
    try:
        return [int(str(value)) for value in form.getlist(name)]
    except ValueError as error:
        raise InvalidInput(message, field=name) from error


def parse_form(schema: type[M], data: Mapping[str, Any], *, optional_blank: bool = True) -> M:
    """A schema instance from form fields; raises pydantic's ValidationError, which the page
    error handler shows next to each field.

    Blank optional inputs mean "not given" (an empty date box is no birthday, not an error).
    """
    cleaned = {k: v for k, v in data.items() if not (optional_blank and v == "")}
    return schema.model_validate(cleaned)


def update_form_data(values: dict[str, str]) -> dict[str, Any]:
    """A person edit form's fields as an update: a blank password keeps the old one, blank
    clearable fields clear the value, and an unticked "active" box means inactive."""
    data: dict[str, Any] = {k: v for k, v in values.items() if k != "is_active"}
    if not data.get("password"):
        data.pop("password", None)
    for name in PersonUpdate.CLEARABLE:
        if data.get(name) == "":
            data[name] = None
    data["is_active"] = values.get("is_active") == "on"
    return data
