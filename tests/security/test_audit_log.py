"""The audit log: the superuser reads every event, a teacher their tenant's (their own and their
students'), a student nothing; newest first, paged, filtered by kind and by person."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.engine import URL

from app.core.config import Settings
from app.core.i18n import gettext_for
from app.schemas.accounts import StudentRead, TeacherRead
from app.services.audit import EVENT_LABELS, AuditEventType
from tests.conftest import PASSWORD, People, login_as, make_settings

MakeClient = Callable[[], httpx.AsyncClient]
EVENTS = "/api/v1/audit-events"
MINE = (AuditEventType.SESSIONS_REVOKED.value, AuditEventType.ONE_TIME_PASSWORD_ISSUED.value)


@pytest.fixture(scope="session")
def settings(owner_url: URL) -> Settings:
    return make_settings(owner_url, argon2_memory_cost=1024, argon2_time_cost=1)


@dataclass
class World:
    admin_id: int
    teacher_a: TeacherRead
    student_a: StudentRead
    teacher_b: TeacherRead
    admin: httpx.AsyncClient
    client_a: httpx.AsyncClient
    client_b: httpx.AsyncClient
    student: httpx.AsyncClient


async def client_for(
    make_client: MakeClient, email: str, password: str = PASSWORD
) -> httpx.AsyncClient:
    client = make_client()
    await login_as(client, email, password)
    return client


@pytest.fixture
async def world(people: People, make_client: MakeClient) -> World:
    """Five events in two tenants and the platform's own, in this order:
    A ends their other logins; A issues a one-time password to their student; B ends theirs;
    the superuser issues one to teacher A; the superuser ends their own other logins."""
    admin_email = await people.superuser()
    teacher_a = await people.teacher(timezone="Asia/Vladivostok", language="ru")
    student_a = await people.student(teacher_a)
    teacher_b = await people.teacher()
    admin = await client_for(make_client, admin_email)
    client_a = await client_for(make_client, teacher_a.email)
    client_b = await client_for(make_client, teacher_b.email)
    # Another of A's students (student A's own logins end with their one-time password).
    student = await client_for(make_client, (await people.student(teacher_a)).email)
    admin_id = (await admin.get("/api/v1/users/me")).json()["id"]

    assert (await client_a.post("/api/v1/users/me/sessions/end-others")).status_code == 200
    otp = await client_a.post(f"/api/v1/students/{student_a.id}/one-time-password")
    assert otp.status_code == 200
    assert (await client_b.post("/api/v1/users/me/sessions/end-others")).status_code == 200
    # Teacher A's one-time password ends A's logins: A logs in again afterwards.
    otp = await admin.post(f"/api/v1/teachers/{teacher_a.id}/one-time-password")
    assert otp.status_code == 200
    client_a = await client_for(make_client, teacher_a.email, otp.json()["password"])
    change = await client_a.post(
        "/api/v1/users/me/password",
        json={"current_password": otp.json()["password"], "new_password": "Fresh-Pass-2025!"},
    )
    assert change.status_code == 204
    assert (await admin.post("/api/v1/users/me/sessions/end-others")).status_code == 200
    return World(
        admin_id=admin_id,
        teacher_a=teacher_a,
        student_a=student_a,
        teacher_b=teacher_b,
        admin=admin,
        client_a=client_a,
        client_b=client_b,
        student=student,
    )


async def listed(client: httpx.AsyncClient, **params: str | int) -> list[dict[str, object]]:
    response = await client.get(EVENTS, params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return [item for item in response.json()["items"] if item["event"] in MINE]


def summary(items: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(item["event"], item["subject_user_id"]) for item in items]


async def test_the_superuser_sees_every_event_newest_first(world: World) -> None:
    items = await listed(world.admin)
    assert summary(items) == [
        ("sessions_revoked", world.admin_id),
        ("one_time_password_issued", world.teacher_a.id),
        ("sessions_revoked", world.teacher_b.id),
        ("one_time_password_issued", world.student_a.user_id),
        ("sessions_revoked", world.teacher_a.id),
    ]
    assert items[1]["actor_user_id"] == world.admin_id
    assert items[1]["actor_name"] == "Admin Ada"
    assert items[1]["subject_name"] == "Teacher Tina"


async def test_a_teacher_sees_their_own_and_their_students_events_only(world: World) -> None:
    items = await listed(world.client_a)
    assert summary(items) == [
        ("one_time_password_issued", world.teacher_a.id),
        ("one_time_password_issued", world.student_a.user_id),
        ("sessions_revoked", world.teacher_a.id),
    ]
    # Who issued the teacher's one-time password: the superuser, whose account the teacher
    # may not read. The id is there, the name is not.
    assert items[0]["actor_user_id"] == world.admin_id
    assert items[0]["actor_name"] is None
    assert items[1]["subject_name"] == "Student Sam"
    assert summary(await listed(world.client_b)) == [("sessions_revoked", world.teacher_b.id)]


async def test_a_student_gets_403_and_the_page_too(world: World) -> None:
    response = await world.student.get(EVENTS)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    page = await world.student.get("/audit")
    assert page.status_code == 403


async def test_filters_by_event_and_by_person(world: World) -> None:
    otp = await listed(world.admin, event="one_time_password_issued")
    assert {item["event"] for item in otp} == {"one_time_password_issued"}
    assert len(otp) == 2
    student = await listed(world.client_a, user_id=str(world.student_a.user_id))
    assert summary(student) == [("one_time_password_issued", world.student_a.user_id)]
    # The teacher acted in the student's event too: filtering by the teacher finds it.
    by_teacher = await listed(world.client_a, user_id=world.teacher_a.id)
    assert len(by_teacher) == 3
    # Another tenant's person: nothing, exactly as for nobody at all.
    assert await listed(world.client_b, user_id=str(world.student_a.user_id)) == []
    assert (await world.admin.get(EVENTS, params={"event": "no_such_event"})).status_code == 422


async def test_the_log_is_paged(world: World) -> None:
    first = (await world.admin.get(EVENTS, params={"limit": 1})).json()
    second = (await world.admin.get(EVENTS, params={"limit": 1, "offset": 1})).json()
    assert first["total"] == second["total"] >= 5
    assert first["next_offset"] == 1
    assert first["items"][0]["id"] > second["items"][0]["id"]
    assert (await world.admin.get(EVENTS, params={"limit": 0})).status_code == 422


async def test_the_page_shows_labels_in_russian_and_times_in_the_viewers_zone(
    world: World,
) -> None:
    [latest, *_] = await listed(world.client_a)
    page = await world.client_a.get("/audit")
    assert page.status_code == 200
    label = gettext_for("ru", EVENT_LABELS[AuditEventType.ONE_TIME_PASSWORD_ISSUED])
    assert label != EVENT_LABELS[AuditEventType.ONE_TIME_PASSWORD_ISSUED]
    assert label in page.text
    created = datetime.fromisoformat(str(latest["created_at"]))
    local = created.astimezone(ZoneInfo("Asia/Vladivostok")).strftime("%d.%m.%Y %H:%M")
    assert local in page.text
    assert "Student Sam" in page.text
    assert world.teacher_b.email not in page.text
    filtered = await world.client_a.get("/audit", params={"event": "sessions_revoked"})
    assert filtered.status_code == 200
    assert label not in filtered.text.split("<tbody>")[1]
    # An unknown kind in the address bar shows everything rather than an error.
    assert (await world.client_a.get("/audit", params={"event": "bogus"})).status_code == 200


async def test_the_audit_api_label_follows_the_language(world: World) -> None:
    items = await listed(world.client_a)
    assert items[0]["label"] == gettext_for(
        "ru", EVENT_LABELS[AuditEventType.ONE_TIME_PASSWORD_ISSUED]
    )
