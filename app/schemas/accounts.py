"""Request and response bodies for accounts: teachers and students share the person fields.

Field names are the CLI's (`email`, `password`, `name`, `surname`, `second_name`, `birthday`).
Create schemas have no `role` or `teacher_id`: those come from who is asking, never the body.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from app.core.i18n import LANGUAGES
from app.core.security import PASSWORD_MAX_LENGTH, password_problems

MIN_BIRTHDAY = date(1900, 1, 1)


def _check_password(value: str) -> str:
    problems = password_problems(value)
    if problems:
        raise PydanticCustomError(
            "password_policy",
            "Password must contain {missing}",
            {"missing": ", ".join(problems), "problems": problems},
        )
    return value


# Computed once: the IANA names the tz database knows (zoneinfo alone would also accept paths).
KNOWN_TIMEZONES = frozenset(available_timezones())


def _check_timezone(value: str) -> str:
    if value not in KNOWN_TIMEZONES:
        raise PydanticCustomError(
            "timezone", "Unknown time zone; use an IANA name such as Europe/Moscow"
        )
    return value


def _check_language(value: str) -> str:
    if value not in LANGUAGES:
        raise PydanticCustomError(
            "language", "Language must be one of: {choices}", {"choices": ", ".join(LANGUAGES)}
        )
    return value


def _check_birthday(value: date | None) -> date | None:
    if value is not None and not (MIN_BIRTHDAY <= value <= date.today()):
        raise PydanticCustomError("birthday", "Birthday must be between 1900-01-01 and today")
    return value


def _normalize_email(value: str) -> str:
    return value.strip().lower()


PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
OptionalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Email = Annotated[EmailStr, Field(max_length=254), AfterValidator(_normalize_email)]
Password = Annotated[str, Field(max_length=PASSWORD_MAX_LENGTH), AfterValidator(_check_password)]
TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_check_timezone)]
Language = Annotated[str, Field(max_length=8), AfterValidator(_check_language)]
Birthday = Annotated[date | None, AfterValidator(_check_birthday)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonCreate(_Strict):
    email: Email
    password: Password
    name: PersonName
    surname: PersonName
    second_name: OptionalName | None = None
    birthday: Birthday = None
    timezone: TimeZoneName | None = None
    language: Language | None = None


class PersonUpdate(_Strict):
    """Every field optional: only what is sent changes; `None` clears only the `CLEARABLE` ones
    and means "unchanged" for the rest."""

    CLEARABLE: ClassVar[frozenset[str]] = frozenset({"second_name", "birthday"})

    email: Email | None = None
    password: Password | None = None
    name: PersonName | None = None
    surname: PersonName | None = None
    second_name: OptionalName | None = None
    birthday: Birthday = None
    timezone: TimeZoneName | None = None
    language: Language | None = None
    is_active: bool | None = None


class TeacherCreate(PersonCreate):
    pass


class TeacherUpdate(PersonUpdate):
    pass


class StudentCreate(PersonCreate):
    pass


class StudentUpdate(PersonUpdate):
    pass


class PersonRead(BaseModel):
    email: str
    name: str
    surname: str
    second_name: str | None
    birthday: date | None
    timezone: str
    language: str
    is_active: bool
    created_at: datetime


class TeacherRead(PersonRead):
    id: int
    student_count: int = 0


class StudentRead(PersonRead):
    id: int
    user_id: int | None
    teacher_id: int


class StudentProgress(BaseModel):
    """How a student is doing with their assignments (all of them, this teacher's)."""

    assigned: int = 0
    completed: int = Field(0, description="Submitted or graded")
    overdue: int = Field(0, description="Not submitted and past the due date")
    average_percent: Decimal | None = Field(
        None, description="Mean score of the graded assignments, percent of their maximum"
    )


class StudentListItem(StudentRead):
    progress: StudentProgress


class UserRead(PersonRead):
    """The signed-in user (`GET /api/v1/users/me`)."""

    id: int
    role: str
    teacher_id: int | None
    student_id: int | None = None
