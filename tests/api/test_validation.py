"""Bad input gets a clear answer (422 naming the field, 409 naming the conflict) and changes
nothing; lists page in a stable order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from app.core.actor import Actor
from app.core.config import Settings
from app.core.database import Database
from app.core.i18n import gettext_for
from app.schemas.accounts import StudentRead, TeacherRead
from app.services.accounts.users import EMAIL_TAKEN
from tests.conftest import PASSWORD, People, login_as, make_settings

TOO_LONG_EMAIL = "x" * 64 + "@" + ".".join(["d" * 63] * 3) + ".com"  # 260 characters
PASSWORD_RULES = (
    "at least 10 characters",
    "an upper-case letter",
    "a lower-case letter",
    "a digit",
    "a special character",
)


@pytest.fixture(scope="session")
def settings(owner_url: URL) -> Settings:
    """Overrides the shared fixture for this module: validation does not depend on Argon2's
    cost, and these tests create and log in many people."""
    return make_settings(owner_url, argon2_memory_cost=1024, argon2_time_cost=1)


@dataclass
class Callers:
    superuser: httpx.AsyncClient
    teacher: httpx.AsyncClient
    teacher_read: TeacherRead
    other_teacher: TeacherRead
    other_student: StudentRead
    own_student: StudentRead

    def creator(self, endpoint: str) -> httpx.AsyncClient:
        return self.superuser if endpoint == "/api/v1/teachers" else self.teacher


@pytest.fixture
async def callers(people: People, make_client: Callable[[], httpx.AsyncClient]) -> Callers:
    teacher = await people.teacher()
    other_teacher = await people.teacher()
    callers = Callers(
        superuser=make_client(),
        teacher=make_client(),
        teacher_read=teacher,
        other_teacher=other_teacher,
        other_student=await people.student(other_teacher),
        own_student=await people.student(teacher),
    )
    await login_as(callers.superuser, await people.superuser())
    await login_as(callers.teacher, teacher.email)
    for client in (callers.superuser, callers.teacher):
        # English messages (set after login: any cookie makes the login post CSRF-checked).
        client.cookies.set("lang", "en")
    return callers


async def count_rows(database: Database, table: str) -> int:
    """Rows in `table` across all tenants (the system actor sees every row)."""
    async with database.transaction(Actor.system()) as session:
        return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def counts(database: Database) -> tuple[int, int, int]:
    return (
        await count_rows(database, "users"),
        await count_rows(database, "teachers"),
        await count_rows(database, "students"),
    )


def person(**fields: object) -> dict[str, object]:
    return {
        "email": "new-person@example.com",
        "password": PASSWORD,
        "name": "New",
        "surname": "Person",
        **fields,
    }


def error_fields(response: httpx.Response) -> set[str | None]:
    """The fields the one error shape names (app.schemas.errors), each with a message."""
    body = response.json()
    assert all(error["message"] and error["code"] for error in body["errors"]), body
    return {error["field"] for error in body["errors"]}


CREATE_ENDPOINTS = pytest.mark.parametrize(
    "endpoint", ["/api/v1/teachers", "/api/v1/students"], ids=["teacher", "student"]
)


@CREATE_ENDPOINTS
async def test_malformed_json_is_422_and_creates_nothing(
    callers: Callers, database: Database, endpoint: str
) -> None:
    before = await counts(database)
    response = await callers.creator(endpoint).post(
        endpoint,
        content=b'{"email": "half@example.com", ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["code"] == "json_invalid"
    assert error["field"] is None
    assert await counts(database) == before


INVALID_FIELDS = [
    ("birthday", "yesterday"),
    ("birthday", "31.12.2000"),
    ("birthday", (date.today() + timedelta(days=1)).isoformat()),
    ("birthday", "1899-12-31"),
    ("email", 123),
    ("email", "not-an-e-mail"),
    ("email", TOO_LONG_EMAIL),
    ("name", "x" * 101),
    ("surname", "x" * 101),
    ("second_name", "x" * 101),
    ("name", ""),
    ("name", "   "),
    ("surname", None),
    ("password", "Aa1!" + "x" * 125),  # 129 characters, every rule met
    ("password", 12345678901),
    ("timezone", "Mars/Olympus_Mons"),
    ("timezone", "../../etc/passwd"),
    ("timezone", "x" * 65),
    ("language", "de"),
    ("language", "RU"),
    # Fields no create schema has: the tenant, the role and the flags come from the caller.
    ("role", "superuser"),
    ("teacher_id", 1),
    ("is_active", False),
    ("id", 1),
    ("password_hash", "$argon2id$..."),
]


@CREATE_ENDPOINTS
@pytest.mark.parametrize(
    ("field", "value"), INVALID_FIELDS, ids=[f"{f}={v!r}"[:40] for f, v in INVALID_FIELDS]
)
async def test_invalid_field_is_422_naming_it_and_creates_nothing(
    callers: Callers, database: Database, endpoint: str, field: str, value: object
) -> None:
    before = await counts(database)
    response = await callers.creator(endpoint).post(endpoint, json=person(**{field: value}))
    assert response.status_code == 422, response.text
    assert error_fields(response) == {field}
    assert response.json()["field"] == field
    assert await counts(database) == before


@CREATE_ENDPOINTS
@pytest.mark.parametrize("field", ["email", "password", "name", "surname"])
async def test_missing_required_field_is_422_naming_it(
    callers: Callers, database: Database, endpoint: str, field: str
) -> None:
    before = await counts(database)
    body = person()
    del body[field]
    response = await callers.creator(endpoint).post(endpoint, json=body)
    assert response.status_code == 422
    assert error_fields(response) == {field}
    assert response.json()["errors"][0]["code"] == "missing"
    assert await counts(database) == before


@CREATE_ENDPOINTS
async def test_many_invalid_fields_are_all_reported_at_once(
    callers: Callers, endpoint: str
) -> None:
    response = await callers.creator(endpoint).post(
        endpoint,
        json={"email": 123, "password": "weak", "name": "", "birthday": "yesterday", "x": 1},
    )
    assert response.status_code == 422
    assert error_fields(response) == {"email", "password", "name", "surname", "birthday", "x"}


WEAK_PASSWORDS = [
    ("Sh0rt!pw", {"at least 10 characters"}),
    ("nouppercase-42", {"an upper-case letter"}),
    ("NOLOWERCASE-42", {"a lower-case letter"}),
    ("No-Digits-Here!", {"a digit"}),
    ("NoSpecials12345", {"a special character"}),
    ("lowercaseonly", {"an upper-case letter", "a digit", "a special character"}),
]


@CREATE_ENDPOINTS
@pytest.mark.parametrize(
    ("password", "missing"), WEAK_PASSWORDS, ids=[p for p, _ in WEAK_PASSWORDS]
)
async def test_weak_password_message_names_each_missing_rule(
    callers: Callers, database: Database, endpoint: str, password: str, missing: set[str]
) -> None:
    before = await counts(database)
    response = await callers.creator(endpoint).post(endpoint, json=person(password=password))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "password"
    assert error["code"] == "password_policy"
    named = {rule for rule in PASSWORD_RULES if rule in error["message"]}
    assert named == missing, error["message"]
    assert response.json()["detail"] == error["message"]
    assert await counts(database) == before


async def test_weak_password_is_refused_on_update_too(callers: Callers) -> None:
    response = await callers.teacher.patch(
        f"/api/v1/students/{callers.own_student.id}", json={"password": "NoDigits-Here"}
    )
    assert response.status_code == 422
    assert "a digit" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-e-mail"),
        ("name", ""),
        ("name", "x" * 101),
        ("is_active", "maybe"),
        ("birthday", "yesterday"),
        ("timezone", "Nowhere/Special"),
        ("role", "teacher"),
        ("teacher_id", 1),
    ],
)
async def test_invalid_update_is_422_and_changes_nothing(
    callers: Callers, field: str, value: object
) -> None:
    url = f"/api/v1/students/{callers.own_student.id}"
    before = (await callers.teacher.get(url)).json()
    response = await callers.teacher.patch(url, json={"surname": "Changed", field: value})
    assert response.status_code == 422
    assert error_fields(response) == {field}
    assert (await callers.teacher.get(url)).json() == before


def assert_email_conflict(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.json() == {
        "detail": gettext_for("en", EMAIL_TAKEN),
        "code": "conflict",
        "field": "email",
    }
    assert "e-mail" in response.json()["detail"]


@CREATE_ENDPOINTS
@pytest.mark.parametrize("whose", ["teacher", "student of another teacher"])
async def test_taken_email_is_409_whatever_its_case(
    callers: Callers, database: Database, endpoint: str, whose: str
) -> None:
    taken = callers.other_teacher.email if whose == "teacher" else callers.other_student.email
    before = await counts(database)
    response = await callers.creator(endpoint).post(
        endpoint, json=person(email=f"  {taken.upper()} ")
    )
    assert_email_conflict(response)
    assert await counts(database) == before


async def test_update_to_an_email_taken_by_another_user_is_409(callers: Callers) -> None:
    url = f"/api/v1/students/{callers.own_student.id}"
    response = await callers.teacher.patch(
        url, json={"email": callers.other_teacher.email.upper(), "name": "Changed"}
    )
    assert_email_conflict(response)
    after = (await callers.teacher.get(url)).json()
    assert after["email"] == callers.own_student.email
    assert after["name"] == callers.own_student.name

    teacher_url = f"/api/v1/teachers/{callers.teacher_read.id}"
    response = await callers.superuser.patch(
        teacher_url, json={"email": callers.other_student.email}
    )
    assert_email_conflict(response)
    assert (await callers.superuser.get(teacher_url)).json()["email"] == callers.teacher_read.email


async def test_update_to_own_email_in_another_case_is_no_conflict(callers: Callers) -> None:
    url = f"/api/v1/students/{callers.own_student.id}"
    response = await callers.teacher.patch(url, json={"email": callers.own_student.email.upper()})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == callers.own_student.email


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("offset=1000001", "offset"),
        ("offset=1.5", "offset"),
    ],
)
@pytest.mark.parametrize("endpoint", ["/api/v1/teachers", "/api/v1/students"])
async def test_bad_pagination_is_422_naming_the_parameter(
    callers: Callers, endpoint: str, query: str, field: str
) -> None:
    response = await callers.creator(endpoint).get(f"{endpoint}?{query}")
    assert response.status_code == 422
    assert error_fields(response) == {field}


async def test_search_longer_than_100_characters_is_422(callers: Callers) -> None:
    response = await callers.teacher.get("/api/v1/students", params={"q": "x" * 101})
    assert response.status_code == 422
    assert error_fields(response) == {"q"}


async def test_pages_are_stable_and_complete(callers: Callers, people: People) -> None:
    # Equal surnames and names: only the id breaks the tie, so the order is still total.
    created = [
        await people.student(callers.teacher_read, surname=surname, name=name)
        for surname, name in [
            ("Brown", "Bob"),
            ("Adams", "Zoe"),
            ("Brown", "Bob"),
            ("Adams", "Amy"),
            ("Clark", "Cid"),
        ]
    ]
    everyone = [*created, callers.own_student]
    expected = [s.id for s in sorted(everyone, key=lambda s: (s.surname, s.name, s.id))]

    seen: list[int] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        page = (await callers.teacher.get(f"/api/v1/students?limit=2&offset={offset}")).json()
        again = (await callers.teacher.get(f"/api/v1/students?limit=2&offset={offset}")).json()
        assert page == again
        assert page["total"] == len(everyone)
        assert page["limit"] == 2 and page["offset"] == offset
        seen.extend(item["id"] for item in page["items"])
        offset = page["next_offset"]
        assert offset is None or offset == len(seen)
        pages += 1
    assert seen == expected
    assert pages == 3

    past_the_end = (await callers.teacher.get("/api/v1/students?limit=2&offset=50")).json()
    assert past_the_end["items"] == []
    assert past_the_end["total"] == len(everyone)
    assert past_the_end["next_offset"] is None


async def test_teacher_list_pages_with_totals(callers: Callers, people: People) -> None:
    for surname in ("Young", "Xavier"):
        await people.teacher(surname=surname)
    first = (await callers.superuser.get("/api/v1/teachers?limit=3")).json()
    assert first["total"] == 4
    assert first["next_offset"] == 3
    rest = (await callers.superuser.get("/api/v1/teachers?limit=3&offset=3")).json()
    assert rest["next_offset"] is None
    surnames = [t["surname"] for t in first["items"] + rest["items"]]
    assert surnames == sorted(surnames)
    assert len({t["id"] for t in first["items"] + rest["items"]}) == 4
