"""Shapes shared by every feature's API, and the rules every piece of input obeys.

Every request schema derives from `RequestModel`: whatever a body, a query model or a parsed
form carries — typed fields, free-form JSON such as answers, dict keys — is checked once there
for what PostgreSQL or JSON cannot hold (NUL, unpaired surrogates, infinities, NaN), and
refused as a 422 naming the field. Parameters that are not models (a `Form(...)` or
`Query(...)` string) add the `CleanText` marker; datetimes and dates use `Moment` and `Day`.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.core.i18n import N_

T = TypeVar("T")

# Ids are bigint: a larger number names no row, and the driver would refuse it with a 500.
MAX_ID = 2**63 - 1
# The dates a person can mean. Python's datetime ends at years 1 and 9999, so a moment near them
# cannot even be shown in every time zone (year 10000 in Moscow); PostgreSQL stores year 1 UTC
# as -infinity. Checked on the date as written, in its own offset.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2200, 12, 31)
DATE_RANGE = f"between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}"
# A string field that says no limit of its own still has this one.
MAX_STR = 50_000
# Enough errors to fix a form with; a hostile body gets no more.
MAX_INPUT_ERRORS = 20

TEXT_CHARACTERS = N_("Text may not contain NUL characters or unpaired surrogates")
FINITE_NUMBER = N_("Enter a finite number")
DATE_OUT_OF_RANGE = N_("Enter a date between 1900-01-01 and 2200-12-31")

# NUL: PostgreSQL text and jsonb refuse it. A lone surrogate (JSON "\ud800") cannot be UTF-8.
_BAD_CHARACTERS = re.compile("[\x00\ud800-\udfff]")

Loc = tuple[int | str, ...]


def _shown(value: str) -> str:
    """A bad string as an error may echo it: JSON and UTF-8 can carry it."""
    return _BAD_CHARACTERS.sub("\ufffd", value[:100])


def _problem(value: object) -> tuple[str, str, object] | None:
    """(error type, message, input as echoed) when one value cannot be stored."""
    if isinstance(value, str):
        if _BAD_CHARACTERS.search(value):
            return "text_characters", TEXT_CHARACTERS, _shown(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            return "finite_number", FINITE_NUMBER, str(value)
    elif isinstance(value, Decimal) and not value.is_finite():
        return "finite_number", FINITE_NUMBER, str(value)
    return None


def storable(value: object) -> bool:
    """Whether every string (keys too) and number inside `value` can be stored: the fast pass
    every request takes (a third of the time of `input_problems`, which also says where).

    Iterative, like `input_problems`: a body nested a thousand deep is not a RecursionError."""
    strings: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            strings.append(item)
        elif isinstance(item, dict):
            strings.extend(key for key in item if isinstance(key, str))
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif _problem(item) is not None:
            return False
    text = "".join(strings)
    if "\x00" in text:
        return False
    try:
        text.encode()  # an unpaired surrogate cannot be
    except UnicodeEncodeError:
        return False
    return True


def input_problems(value: object) -> list[InitErrorDetails]:
    """Every string (keys too) and number inside `value` that cannot be stored, with its place."""
    if storable(value):
        return []
    problems: list[InitErrorDetails] = []
    pending: list[tuple[Loc, object]] = [((), value)]
    while pending and len(problems) < MAX_INPUT_ERRORS:
        loc, item = pending.pop()
        if isinstance(item, dict):
            children: list[tuple[Loc, object]] = []
            for key, child in item.items():
                if isinstance(key, str) and (bad_key := _problem(key)) is not None:
                    problems.append(_details(bad_key, (*loc, _shown(key))))
                else:
                    children.append(((*loc, key), child))
            pending.extend(reversed(children))  # popped in the order they were written
        elif isinstance(item, list | tuple):
            pending.extend(((*loc, index), item[index]) for index in reversed(range(len(item))))
        elif (problem := _problem(item)) is not None:
            problems.append(_details(problem, loc))
    return problems


def _details(problem: tuple[str, str, object], loc: Loc) -> InitErrorDetails:
    kind, message, shown = problem
    return InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=shown)


def _refuse(title: str, problems: list[InitErrorDetails]) -> ValidationError:
    # Raised inside a validator, a ValidationError keeps each error's place (under the field's).
    return ValidationError.from_exception_data(title, problems)


# What every input model obeys; the block models (also read back from the database, so they
# skip `RequestModel`'s walk) take it as is. See `RequestModel`.
INPUT_RULES = ConfigDict(extra="forbid", allow_inf_nan=False, str_max_length=MAX_STR)


class RequestModel(BaseModel):
    """The base of every request schema (bodies, query models, parsed forms).

    Unknown fields are refused (a subclass may relax that), numbers must be finite, a string
    without its own limit is held to `MAX_STR`, and no string anywhere inside the input may carry
    NUL or an unpaired surrogate."""

    model_config = INPUT_RULES

    @model_validator(mode="wrap")
    @classmethod
    def _storable(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        problems = input_problems(data)
        if problems:
            raise _refuse(cls.__name__, problems)
        return handler(data)


def _clean_text(value: Any) -> Any:
    if isinstance(value, str) and (problem := _problem(value)) is not None:
        raise _refuse("text", [_details(problem, ())])
    return value


# For a string parameter that is not part of a RequestModel: `Annotated[str, Form(...), CleanText]`
# (put it last, so the parameter's own constraints still apply to the string).
CleanText = BeforeValidator(_clean_text)


def _in_range(value: date) -> None:
    if not MIN_DATE <= value <= MAX_DATE:
        raise PydanticCustomError("date_range", DATE_OUT_OF_RANGE)


def _check_moment(value: datetime) -> datetime:
    _in_range(value.date())
    return value


def _check_day(value: date) -> date:
    _in_range(value)
    return value


# A moment a client sends. It must carry its offset: a deadline without one means a different
# instant in every zone, and guessing (UTC, or the teacher's zone) would silently move it by
# hours. Pages that take a `datetime-local` input read it in the viewer's zone themselves
# (`app.core.clock.wall_time_in`) before it reaches a schema.
Moment = Annotated[
    AwareDatetime,
    AfterValidator(_check_moment),
    Field(
        description=f"ISO 8601 with an offset (`Z`, `+03:00`), {DATE_RANGE}",
        json_schema_extra={
            "formatMinimum": f"{MIN_DATE.isoformat()}T00:00:00+14:00",
            "formatMaximum": f"{MAX_DATE.isoformat()}T23:59:59-12:00",
        },
    ),
]
Day = Annotated[
    date,
    AfterValidator(_check_day),
    Field(
        description=f"YYYY-MM-DD, {DATE_RANGE}",
        json_schema_extra={
            "formatMinimum": MIN_DATE.isoformat(),
            "formatMaximum": MAX_DATE.isoformat(),
        },
    ),
]


class Pagination(RequestModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class Page(BaseModel, Generic[T]):
    """One page of a list, in a stable order; `next_offset` is null on the last page."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next_offset: int | None = None

    @classmethod
    def build(cls, items: list[T], total: int, page: Pagination) -> Page[T]:
        more = page.offset + len(items) < total
        return cls(
            items=items,
            total=total,
            limit=page.limit,
            offset=page.offset,
            next_offset=page.offset + len(items) if more and items else None,
        )
