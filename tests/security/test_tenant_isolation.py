"""One teacher never sees, changes or even detects another teacher's students."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from app.core.actor import Actor
from app.core.config import Settings
from app.core.database import Database
from app.schemas.accounts import StudentRead, TeacherRead
from tests.conftest import PASSWORD, People, login_as, make_settings

# No student has this id: the answer for it is what "another tenant's student" must look like.
MISSING_ID = 9_000_000_000


@pytest.fixture(scope="session")
def settings(owner_url: URL) -> Settings:
    """Overrides the shared fixture for this module: the tests log in several people each, and
    tenant isolation does not depend on how slow Argon2 is."""
    return make_settings(owner_url, argon2_memory_cost=1024, argon2_time_cost=1)


@dataclass
class Tenants:
    teacher_a: TeacherRead
    teacher_b: TeacherRead
    student_a: StudentRead
    classmate_a: StudentRead
    student_b: StudentRead
    client_a: httpx.AsyncClient
    client_b: httpx.AsyncClient


@pytest.fixture
async def tenants(people: People, make_client: Callable[[], httpx.AsyncClient]) -> Tenants:
    teacher_a = await people.teacher(name="Alice", surname="Anders")
    teacher_b = await people.teacher(name="Boris", surname="Borisov")
    tenants = Tenants(
        teacher_a=teacher_a,
        teacher_b=teacher_b,
        student_a=await people.student(teacher_a, name="Anna", surname="Apple"),
        classmate_a=await people.student(teacher_a, name="Arkady", surname="Classmate"),
        student_b=await people.student(teacher_b, name="Bella", surname="Banana"),
        client_a=make_client(),
        client_b=make_client(),
    )
    await login_as(tenants.client_a, teacher_a.email)
    await login_as(tenants.client_b, teacher_b.email)
    return tenants


async def count_rows(database: Database, table: str) -> int:
    """Rows in `table` across all tenants (the system actor sees every row)."""
    async with database.transaction(Actor.system()) as session:
        return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


def same_answer(response: httpx.Response, reference: httpx.Response) -> None:
    assert response.status_code == 404
    assert response.json() == reference.json()
    assert response.headers["content-type"] == reference.headers["content-type"]


@pytest.mark.parametrize(
    ("method", "body"),
    [("GET", None), ("PATCH", {"name": "Hacked", "is_active": False}), ("DELETE", None)],
)
async def test_other_tenants_student_looks_missing_and_stays_unchanged(
    tenants: Tenants, method: str, body: dict[str, object] | None
) -> None:
    before = (await tenants.client_b.get(f"/api/v1/students/{tenants.student_b.id}")).json()

    foreign = await tenants.client_a.request(
        method, f"/api/v1/students/{tenants.student_b.id}", json=body
    )
    missing = await tenants.client_a.request(method, f"/api/v1/students/{MISSING_ID}", json=body)

    same_answer(foreign, missing)
    assert foreign.json()["code"] == "not_found"
    after = await tenants.client_b.get(f"/api/v1/students/{tenants.student_b.id}")
    assert after.status_code == 200
    assert after.json() == before
    assert after.json()["name"] == "Bella" and after.json()["is_active"] is True


async def test_foreign_delete_leaves_the_student_able_to_log_in(
    tenants: Tenants, make_client: Callable[[], httpx.AsyncClient]
) -> None:
    await tenants.client_a.delete(f"/api/v1/students/{tenants.student_b.id}")
    # Still active: their own login works.
    await login_as(make_client(), tenants.student_b.email)


async def test_list_never_includes_other_tenants_students(tenants: Tenants) -> None:
    listed = (await tenants.client_a.get("/api/v1/students", params={"limit": 200})).json()
    assert {s["id"] for s in listed["items"]} == {tenants.student_a.id, tenants.classmate_a.id}
    assert listed["total"] == 2
    assert {s["teacher_id"] for s in listed["items"]} == {tenants.teacher_a.id}
    # Searching for the other tenant's student by e-mail or name finds nothing.
    for query in (tenants.student_b.email, "Bella", "Banana"):
        found = (await tenants.client_a.get("/api/v1/students", params={"q": query})).json()
        assert found["items"] == [] and found["total"] == 0, query
    # ... while the other teacher does find them (the search itself works).
    found = (await tenants.client_b.get("/api/v1/students", params={"q": "Banana"})).json()
    assert [s["id"] for s in found["items"]] == [tenants.student_b.id]


async def test_student_pages_of_other_tenant_look_missing(tenants: Tenants) -> None:
    foreign = await tenants.client_a.get(f"/students/{tenants.student_b.id}/edit")
    missing = await tenants.client_a.get(f"/students/{MISSING_ID}/edit")
    assert foreign.status_code == missing.status_code == 404
    assert "Bella" not in foreign.text and tenants.student_b.email not in foreign.text

    posted = await tenants.client_a.post(
        f"/students/{tenants.student_b.id}/edit", data={"name": "Hacked", "is_active": "on"}
    )
    assert posted.status_code == 404
    after = (await tenants.client_b.get(f"/api/v1/students/{tenants.student_b.id}")).json()
    assert after["name"] == "Bella"

    listing = await tenants.client_a.get("/students")
    assert listing.status_code == 200
    assert "Anna" in listing.text and "Bella" not in listing.text


async def test_teacher_dashboard_shows_only_own_students(tenants: Tenants) -> None:
    dashboard = await tenants.client_a.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Apple" in dashboard.text and "Banana" not in dashboard.text


async def test_student_sees_own_profile_and_own_teacher_only(
    tenants: Tenants, make_client: Callable[[], httpx.AsyncClient]
) -> None:
    client = make_client()
    await login_as(client, tenants.student_a.email)

    me = await client.get("/api/v1/users/me")
    assert me.status_code == 200
    assert me.json()["id"] == tenants.student_a.user_id
    assert me.json()["role"] == "student"
    assert me.json()["teacher_id"] == tenants.teacher_a.id
    assert me.json()["student_id"] == tenants.student_a.id

    dashboard = await client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Anders" in dashboard.text
    for stranger in ("Borisov", "Classmate", "Banana"):
        assert stranger not in dashboard.text

    for path in ("/api/v1/students", f"/api/v1/students/{tenants.student_a.id}"):
        refused = await client.get(path)
        assert refused.status_code == 403, path
        assert refused.json()["code"] == "forbidden"
    assert (await client.get("/students")).status_code == 403


@pytest.mark.parametrize(
    "smuggled",
    [
        {"teacher_id": "B"},
        {"role": "teacher"},
        {"role": "superuser"},
        {"is_active": False},
        {"id": 1},
    ],
    ids=["teacher_id", "role-teacher", "role-superuser", "is_active", "id"],
)
async def test_teacher_cannot_choose_tenant_or_role_in_the_body(
    tenants: Tenants, database: Database, smuggled: dict[str, object]
) -> None:
    field, value = next(iter(smuggled.items()))
    if value == "B":
        value = tenants.teacher_b.id
    users_before = await count_rows(database, "users")
    students_before = await count_rows(database, "students")

    response = await tenants.client_a.post(
        "/api/v1/students",
        json={
            "email": "smuggler@example.com",
            "password": PASSWORD,
            "name": "Smuggled",
            "surname": "Student",
            field: value,
        },
    )

    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]
    assert await count_rows(database, "users") == users_before
    assert await count_rows(database, "students") == students_before
    listed = (await tenants.client_b.get("/api/v1/students")).json()
    assert [s["id"] for s in listed["items"]] == [tenants.student_b.id]


async def test_student_created_by_teacher_lands_in_their_own_tenant(tenants: Tenants) -> None:
    created = await tenants.client_a.post(
        "/api/v1/students",
        json={"email": "fresh@example.com", "password": PASSWORD, "name": "F", "surname": "S"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["teacher_id"] == tenants.teacher_a.id
    listed_b = (await tenants.client_b.get("/api/v1/students")).json()
    assert created.json()["id"] not in [s["id"] for s in listed_b["items"]]


async def test_superuser_cannot_open_a_student_as_a_teacher(
    tenants: Tenants, people: People, make_client: Callable[[], httpx.AsyncClient]
) -> None:
    client = make_client()
    await login_as(client, await people.superuser())
    assert tenants.student_a.user_id is not None

    as_teacher = await client.get(f"/api/v1/teachers/{tenants.student_a.user_id}")
    missing = await client.get(f"/api/v1/teachers/{MISSING_ID}")
    same_answer(as_teacher, missing)
    patched = await client.patch(
        f"/api/v1/teachers/{tenants.student_a.user_id}", json={"name": "Hacked"}
    )
    assert patched.status_code == 404
    assert (
        await client.get(f"/superuser/teachers/{tenants.student_a.user_id}/edit")
    ).status_code == 404
    after = (await tenants.client_a.get(f"/api/v1/students/{tenants.student_a.id}")).json()
    assert after["name"] == "Anna"
    # The real teacher is found, so the 404 above is about the role of the account.
    assert (await client.get(f"/api/v1/teachers/{tenants.teacher_a.id}")).status_code == 200
