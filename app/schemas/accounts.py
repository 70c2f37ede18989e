"""Request and response bodies for accounts: teachers and students share the person fields.

Field names are the CLI's (`email`, `password`, `name`, `surname`, `second_name`, `birthday`).
Create schemas have no `role` or `teacher_id`: those come from who is asking, never the body.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    EmailStr,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from app.core.i18n import LANGUAGES
from app.core.security import PASSWORD_MAX_LENGTH, password_problems
from app.schemas.common import MIN_DATE, RequestModel

MIN_BIRTHDAY = MIN_DATE


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
Birthday = Annotated[
    date | None,
    AfterValidator(_check_birthday),
    Field(description="YYYY-MM-DD, between 1900-01-01 and today"),
]


class PersonCreate(RequestModel):
    email: Email
    password: Password
    name: PersonName
    surname: PersonName
    second_name: OptionalName | None = None
    birthday: Birthday = None
    timezone: TimeZoneName | None = None
    language: Language | None = None


class PersonUpdate(RequestModel):
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
    must_change_password: bool = Field(
        False,
        description="A one-time password is in use: only the password change (and logging out)"
        " answers until the person picks their own",
    )


# --- account self-service (issue 16) ----------------------------------------------------------

# What a person types as their current password: checked against the hash, never the policy
# (an old password may predate it).
CurrentPassword = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)]


class PasswordChange(RequestModel):
    """`POST /api/v1/users/me/password`."""

    current_password: CurrentPassword
    new_password: Password


class SessionRead(BaseModel):
    """One open login of the signed-in person (`GET /api/v1/users/me/sessions`)."""

    id: str = Field(description="Opaque id of the login")
    device: str | None = Field(description='Browser and system, e.g. "Firefox · Windows"')
    ip_address: str | None
    started_at: datetime
    last_used_at: datetime = Field(description="Last renewal of the login (or its start)")
    current: bool = Field(description="The login this request is made with")


class SessionsEnded(BaseModel):
    ended: int = Field(description="How many other logins were ended")


class OneTimePasswordRead(BaseModel):
    """Shown once to whoever issued it; only its hash is stored."""

    password: str


class PasswordResetRequest(RequestModel):
    """`POST /api/v1/auth/password-reset`: the answer is the same whether the e-mail exists."""

    email: Email


class PasswordResetConfirm(RequestModel):
    token: Annotated[str, Field(min_length=1, max_length=200)]
    new_password: Password


class MessageRead(BaseModel):
    detail: str


class AuditEventRead(BaseModel):
    """One security event (`GET /api/v1/audit-events`); names are those the viewer may see."""

    id: int
    created_at: datetime
    event: str
    label: str = Field(description="The event in words, in the caller's language")
    actor_user_id: int | None
    actor_name: str | None
    subject_user_id: int | None
    subject_name: str | None
    ip_address: str | None
    user_agent: str | None
    detail: dict[str, Any]
