"""Sessions that really end: a password set by someone else, a deactivation (also undone later)
and a token whose tenant is not its account's all end the login, access and refresh token alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import text

from app.core.actor import Actor
from app.core.config import Settings
from app.core.cookies import CSRF_HEADER
from app.core.database import Database
from app.core.security import AccessClaims, decode_access_token, issue_access_token
from app.models.users import Role
from tests.conftest import PASSWORD, People, login_as

MakeClient = Callable[[], httpx.AsyncClient]
NEW_PASSWORD = "Brand-New-Secret-77!"


@dataclass
class Login:
    """One browser's login: its access token and refresh token, to replay later."""

    access: str
    refresh: str


async def log_in(make_client: MakeClient, email: str, password: str = PASSWORD) -> Login:
    client = make_client()
    await login_as(client, email, password)
    return Login(access=client.cookies["access_token"], refresh=client.cookies["refresh_token"])


async def access_works(make_client: MakeClient, login: Login) -> bool:
    response = await make_client().get(
        "/api/v1/users/me", headers={"Cookie": f"access_token={login.access}"}
    )
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


async def refresh_works(make_client: MakeClient, login: Login) -> bool:
    """The refresh token renews at the refresh endpoint, and transparently on any request."""
    explicit = await make_client().post(
        "/api/v1/auth/refresh",
        headers={"Cookie": f"refresh_token={login.refresh}; csrftoken=t", CSRF_HEADER: "t"},
    )
    transparent = await make_client().get(
        "/api/v1/users/me", headers={"Cookie": f"refresh_token={login.refresh}"}
    )
    assert explicit.status_code == transparent.status_code, (explicit.text, transparent.text)
    return explicit.status_code == 200


async def audit_events(database: Database, subject: int | None) -> list[tuple[str, int | None]]:
    async with database.transaction(Actor.system()) as session:
        rows = await session.execute(
            text(
                "SELECT event, actor_user_id FROM audit_events WHERE subject_user_id = :s"
                " ORDER BY id"
            ),
            {"s": subject},
        )
        return [(row.event, row.actor_user_id) for row in rows]


async def user_id_of(client: httpx.AsyncClient) -> int:
    return int((await client.get("/api/v1/users/me")).json()["id"])


# --- a password set by the teacher or the superuser -------------------------------------------


async def test_password_set_by_the_teacher_ends_every_login_of_the_student(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, database: Database
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    phone = await log_in(make_client, student.email)
    laptop = await log_in(make_client, student.email)
    await login_as(client, teacher.email)
    teacher_id = await user_id_of(client)

    response = await client.patch(f"/api/v1/students/{student.id}", json={"password": NEW_PASSWORD})

    assert response.status_code == 200, response.text
    for login in (phone, laptop):
        assert not await access_works(make_client, login)
        assert not await refresh_works(make_client, login)
    assert (await client.get("/api/v1/users/me")).status_code == 200  # the teacher's own stays
    await log_in(make_client, student.email, NEW_PASSWORD)
    assert ("password_set", teacher_id) in await audit_events(database, student.user_id)


async def test_password_set_by_the_superuser_ends_every_login_of_the_teacher(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, database: Database
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    teachers_login = await log_in(make_client, teacher.email)
    students_login = await log_in(make_client, student.email)
    await login_as(client, await people.superuser())
    superuser_id = await user_id_of(client)

    response = await client.patch(f"/api/v1/teachers/{teacher.id}", json={"password": NEW_PASSWORD})

    assert response.status_code == 200, response.text
    assert not await access_works(make_client, teachers_login)
    assert not await refresh_works(make_client, teachers_login)
    # Only the account whose password changed: the students keep theirs.
    assert await access_works(make_client, students_login)
    assert ("password_set", superuser_id) in await audit_events(database, teacher.id)


async def test_password_set_on_the_edit_page_ends_the_students_logins(
    client: httpx.AsyncClient, make_client: MakeClient, people: People
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    students_login = await log_in(make_client, student.email)
    await login_as(client, teacher.email)
    form = {
        "email": student.email,
        "name": student.name,
        "surname": student.surname,
        "password": NEW_PASSWORD,
        "is_active": "on",
        "csrf_token": client.cookies["csrftoken"],
    }

    response = await client.post(f"/students/{student.id}/edit", data=form)

    assert response.status_code == 303, response.text
    assert not await access_works(make_client, students_login)
    assert not await refresh_works(make_client, students_login)


async def test_editing_without_a_password_keeps_the_logins(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, database: Database
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    students_login = await log_in(make_client, student.email)
    await login_as(client, teacher.email)

    response = await client.patch(f"/api/v1/students/{student.id}", json={"name": "Renamed"})

    assert response.status_code == 200, response.text
    assert await access_works(make_client, students_login)
    assert [e for e, _ in await audit_events(database, student.user_id)] == ["login_succeeded"]


# --- deactivation ends logins for good ----------------------------------------------------------


async def test_reactivating_a_student_revives_none_of_the_old_logins(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, database: Database
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    students_login = await log_in(make_client, student.email)
    await login_as(client, teacher.email)
    teacher_id = await user_id_of(client)
    url = f"/api/v1/students/{student.id}"

    assert (await client.patch(url, json={"is_active": False})).status_code == 200
    assert (await client.patch(url, json={"is_active": True})).status_code == 200

    assert not await access_works(make_client, students_login)
    assert not await refresh_works(make_client, students_login)
    await log_in(make_client, student.email)  # a new login works
    events = await audit_events(database, student.user_id)
    assert ("account_deactivated", teacher_id) in events
    assert ("account_activated", teacher_id) in events


async def test_delete_then_reactivate_revives_none_of_the_old_logins(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, database: Database
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    students_login = await log_in(make_client, student.email)
    await login_as(client, teacher.email)

    assert (await client.delete(f"/api/v1/students/{student.id}")).status_code == 200
    reactivated = await client.patch(f"/api/v1/students/{student.id}", json={"is_active": True})

    assert reactivated.status_code == 200, reactivated.text
    assert not await access_works(make_client, students_login)
    assert not await refresh_works(make_client, students_login)
    assert "account_deactivated" in [e for e, _ in await audit_events(database, student.user_id)]


async def test_reactivating_a_teacher_revives_neither_their_nor_their_students_logins(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, database: Database
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    other_teacher = await people.teacher()
    teachers_login = await log_in(make_client, teacher.email)
    students_login = await log_in(make_client, student.email)
    bystander = await log_in(make_client, other_teacher.email)
    await login_as(client, await people.superuser())
    url = f"/api/v1/teachers/{teacher.id}"

    assert (await client.patch(url, json={"is_active": False})).status_code == 200
    assert (await client.patch(url, json={"is_active": True})).status_code == 200

    for login in (teachers_login, students_login):
        assert not await access_works(make_client, login)
        assert not await refresh_works(make_client, login)
    assert await access_works(make_client, bystander)
    events = [e for e, _ in await audit_events(database, teacher.id)]
    assert events[-2:] == ["account_deactivated", "account_activated"]


async def test_deactivating_on_the_edit_page_ends_the_students_logins(
    client: httpx.AsyncClient, make_client: MakeClient, people: People
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    students_login = await log_in(make_client, student.email)
    await login_as(client, teacher.email)
    form = {
        "email": student.email,
        "name": student.name,
        "surname": student.surname,
        "csrf_token": client.cookies["csrftoken"],
    }  # no "is_active": the box is unticked

    response = await client.post(f"/students/{student.id}/edit", data=form)
    assert response.status_code == 303, response.text
    reactivated = await client.patch(f"/api/v1/students/{student.id}", json={"is_active": True})

    assert reactivated.status_code == 200
    assert not await refresh_works(make_client, students_login)


async def test_saving_an_active_account_as_active_audits_nothing(
    client: httpx.AsyncClient, people: People, database: Database
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    await login_as(client, teacher.email)

    response = await client.patch(f"/api/v1/students/{student.id}", json={"is_active": True})

    assert response.status_code == 200
    assert await audit_events(database, student.user_id) == []


# --- the token's tenant must be its account's ---------------------------------------------------


def forged(settings: Settings, token: str, **changes: object) -> str:
    """The same login's token, signed with the right key, with some claims changed."""
    claims = decode_access_token(settings, token)
    values = {
        "user_id": claims.user_id,
        "role": claims.role,
        "teacher_id": claims.teacher_id,
        "session_id": claims.session_id,
        "student_id": claims.student_id,
        **changes,
    }
    return issue_access_token(settings, AccessClaims(**values))  # type: ignore[arg-type]


async def test_teacher_token_naming_another_tenant_is_refused(
    make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    other = await people.teacher()
    login = await log_in(make_client, teacher.email)
    token = forged(settings, login.access, teacher_id=other.id)

    for headers in ({"Authorization": f"Bearer {token}"}, {"Cookie": f"access_token={token}"}):
        response = await make_client().get("/api/v1/students", headers=headers)
        assert response.status_code == 401, response.text
    assert await access_works(make_client, login)  # the genuine token still works


async def test_student_token_naming_another_tenant_is_refused(
    make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    other = await people.teacher()
    student = await people.student(teacher)
    login = await log_in(make_client, student.email)

    for tenant in (other.id, None):
        token = forged(settings, login.access, teacher_id=tenant)
        response = await make_client().get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, response.text


async def test_superuser_token_without_a_tenant_works(
    make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    login = await log_in(make_client, await people.superuser())
    assert decode_access_token(settings, login.access).teacher_id is None

    response = await make_client().get(
        f"/api/v1/teachers/{teacher.id}", headers={"Authorization": f"Bearer {login.access}"}
    )

    assert response.status_code == 200, response.text
    # ... and the same login claiming a tenant is refused.
    token = forged(settings, login.access, teacher_id=teacher.id, role=Role.SUPERUSER)
    refused = await make_client().get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401
