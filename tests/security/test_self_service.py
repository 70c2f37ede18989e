"""Account self-service: changing the own password, the open logins and "log out everywhere
else", and one-time passwords issued by a teacher (for a student) or the superuser (for a
teacher) that open nothing but the password change until the person picks their own."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy.engine import URL

from app.core.config import Settings
from app.core.cookies import CSRF_COOKIE, CSRF_FORM_FIELD
from app.core.i18n import gettext_for
from app.core.security import password_problems
from app.services.accounts.passwords import generate_one_time_password
from app.services.accounts.self_service import (
    SAME_PASSWORD,
    WRONG_CURRENT_PASSWORD,
    describe_device,
)
from tests.conftest import PASSWORD, People, login_as, make_settings

MakeClient = Callable[[], httpx.AsyncClient]

ME = "/api/v1/users/me"
CHANGE = "/api/v1/users/me/password"
SESSIONS = "/api/v1/users/me/sessions"
END_OTHERS = "/api/v1/users/me/sessions/end-others"
NEW_PASSWORD = "Brand-New-Secret-77?"
FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
)


@pytest.fixture(scope="session")
def settings(owner_url: URL) -> Settings:
    """Cheap Argon2: these tests log in many times; what they check does not depend on it."""
    return make_settings(owner_url, argon2_memory_cost=1024, argon2_time_cost=1)


async def logged_in(make_client: MakeClient, email: str, password: str = PASSWORD, **headers: str):
    client = make_client()
    client.headers.update(headers)
    await login_as(client, email, password)
    return client


async def can_log_in(make_client: MakeClient, email: str, password: str) -> bool:
    response = await make_client().post(
        "/api/v1/auth/login", json={"email": email, "password": password}
    )
    return response.status_code == 200


async def events(client: httpx.AsyncClient, event: str) -> list[dict[str, object]]:
    response = await client.get("/api/v1/audit-events", params={"event": event})
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


# --- changing the own password ----------------------------------------------------------------


async def test_a_wrong_current_password_is_a_422_naming_the_field_in_russian(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    client = await logged_in(make_client, teacher.email)
    response = await client.post(
        CHANGE, json={"current_password": "Not-The-Password-1!", "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "current_password"
    assert response.json()["detail"] == gettext_for("ru", WRONG_CURRENT_PASSWORD)
    assert response.json()["detail"] != WRONG_CURRENT_PASSWORD
    assert await can_log_in(make_client, teacher.email, PASSWORD)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_password": PASSWORD, "new_password": "short"}, "new_password"),
        ({"current_password": PASSWORD, "new_password": "alllowercase-and-long-1"}, "new_password"),
        ({"current_password": "", "new_password": NEW_PASSWORD}, "current_password"),
        ({"new_password": NEW_PASSWORD}, "current_password"),
    ],
)
async def test_a_new_password_must_meet_the_policy(
    people: People, make_client: MakeClient, body: dict[str, str], field: str
) -> None:
    teacher = await people.teacher()
    client = await logged_in(make_client, teacher.email)
    response = await client.post(CHANGE, json=body)
    assert response.status_code == 422, response.text
    assert field in response.text
    assert await can_log_in(make_client, teacher.email, PASSWORD)


async def test_the_new_password_must_differ_from_the_current_one(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    client = await logged_in(make_client, teacher.email)
    response = await client.post(
        CHANGE, json={"current_password": PASSWORD, "new_password": PASSWORD}
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "new_password"
    assert response.json()["detail"] == gettext_for("ru", SAME_PASSWORD)


@pytest.mark.parametrize("role", ["superuser", "teacher", "student"])
async def test_everyone_changes_their_own_password_and_their_other_sessions_end(
    people: People, make_client: MakeClient, role: str
) -> None:
    teacher = await people.teacher()
    email = {
        "superuser": await people.superuser(),
        "teacher": teacher.email,
        "student": (await people.student(teacher)).email,
    }[role]
    here = await logged_in(make_client, email)
    elsewhere = await logged_in(make_client, email)

    response = await here.post(
        CHANGE, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 204, response.text
    assert (await elsewhere.get(ME)).status_code == 401
    assert (await here.get(ME)).status_code == 200
    assert not await can_log_in(make_client, email, PASSWORD)
    assert await can_log_in(make_client, email, NEW_PASSWORD)


async def test_a_password_change_is_in_the_audit_log(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    client = await logged_in(make_client, teacher.email)
    await logged_in(make_client, teacher.email)
    response = await client.post(
        CHANGE, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 204
    [event] = await events(client, "password_changed")
    assert event["subject_user_id"] == event["actor_user_id"] == teacher.id
    assert event["detail"] == {"ended_sessions": 1}
    assert event["ip_address"] == "127.0.0.1"


# --- open logins ------------------------------------------------------------------------------


async def test_the_sessions_list_shows_each_login_and_marks_this_one(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    here = await logged_in(make_client, teacher.email)
    await logged_in(make_client, teacher.email, **{"user-agent": FIREFOX_ON_WINDOWS})
    other = await people.teacher()
    await logged_in(make_client, other.email)  # someone else's login is never listed

    response = await here.get(SESSIONS)
    assert response.status_code == 200, response.text
    sessions = response.json()
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1
    devices = {s["device"] for s in sessions if not s["current"]}
    assert devices == {"Firefox · Windows"}
    assert all(s["started_at"] and s["last_used_at"] for s in sessions)


async def test_log_out_everywhere_else_ends_the_other_logins_at_once(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    here = await logged_in(make_client, teacher.email)
    elsewhere = await logged_in(make_client, teacher.email)
    students_login = await logged_in(make_client, student.email)

    response = await here.post(END_OTHERS)
    assert response.status_code == 200, response.text
    assert response.json() == {"ended": 1}
    assert (await elsewhere.get(ME)).status_code == 401
    assert (await here.get(ME)).status_code == 200
    assert (await students_login.get(ME)).status_code == 200, "a student's login is theirs"
    assert [s["current"] for s in (await here.get(SESSIONS)).json()] == [True]
    [event] = await events(here, "sessions_revoked")
    assert event["detail"] == {"count": 1}


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX_ON_WINDOWS, "Firefox · Windows"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome · Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
            " (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari · iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/131.0.0.0 YaBrowser/24.12.0.0 Safari/537.36",
            "Yandex Browser · Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like"
            " Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge · macOS",
        ),
        ("something else entirely", None),
        (None, None),
    ],
)
def test_the_device_is_a_short_readable_label(user_agent: str | None, device: str | None) -> None:
    assert describe_device(user_agent) == device


# --- pages -------------------------------------------------------------------------------------


def form(client: httpx.AsyncClient, **values: str) -> dict[str, str]:
    return {**values, CSRF_FORM_FIELD: client.cookies[CSRF_COOKIE]}


async def test_the_account_page_lists_the_logins_and_ends_the_others(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    here = await logged_in(make_client, teacher.email)
    elsewhere = await logged_in(make_client, teacher.email, **{"user-agent": FIREFOX_ON_WINDOWS})

    page = await here.get("/account")
    assert page.status_code == 200
    assert "Firefox · Windows" in page.text
    assert 'id="end-other-sessions"' in page.text
    assert page.text.count('<li class="session') == 2
    ended = await here.post("/account/sessions/end-others", data=form(here))
    assert ended.status_code == 303
    assert ended.headers["location"] == "/account"
    assert (await elsewhere.get("/account")).status_code == 303
    assert 'id="end-other-sessions"' not in (await here.get("/account")).text


async def test_the_password_page_shows_a_wrong_field_and_never_echoes_passwords(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    client = await logged_in(make_client, teacher.email)
    assert (await client.get("/account/password")).status_code == 200
    wrong = await client.post(
        "/account/password",
        data=form(client, current_password="Wrong-Password-1!", new_password=NEW_PASSWORD),
    )
    assert wrong.status_code == 422
    assert 'id="error-current_password"' in wrong.text
    assert gettext_for("ru", WRONG_CURRENT_PASSWORD) in wrong.text
    assert NEW_PASSWORD not in wrong.text
    done = await client.post(
        "/account/password",
        data=form(client, current_password=PASSWORD, new_password=NEW_PASSWORD),
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/account"
    assert await can_log_in(make_client, teacher.email, NEW_PASSWORD)


async def test_every_role_has_the_account_link_and_only_staff_the_audit_link(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    for email, sees_audit in (
        (await people.superuser(), True),
        (teacher.email, True),
        (student.email, False),
    ):
        page = await (await logged_in(make_client, email)).get("/dashboard")
        assert 'href="/account"' in page.text
        assert ('href="/audit"' in page.text) is sees_audit


# --- one-time passwords ------------------------------------------------------------------------


def test_a_one_time_password_meets_the_policy_and_is_never_the_same() -> None:
    passwords = {generate_one_time_password() for _ in range(200)}
    assert len(passwords) == 200
    assert all(password_problems(password) == [] for password in passwords)


async def test_a_student_with_a_one_time_password_can_do_nothing_but_choose_their_own(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    teacher_client = await logged_in(make_client, teacher.email)
    earlier_login = await logged_in(make_client, student.email)

    response = await teacher_client.post(f"/api/v1/students/{student.id}/one-time-password")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    one_time = response.json()["password"]
    assert password_problems(one_time) == []
    assert (await earlier_login.get(ME)).status_code == 401, "their sessions end at once"
    assert not await can_log_in(make_client, student.email, PASSWORD)

    client = await logged_in(make_client, student.email, one_time)
    me = await client.get(ME)
    assert me.status_code == 200
    assert me.json()["must_change_password"] is True
    refused = await client.get("/api/v1/assignments")
    assert refused.status_code == 403
    assert refused.json()["code"] == "password_change_required"
    dashboard = await client.get("/dashboard")
    assert dashboard.status_code == 303
    assert dashboard.headers["location"] == "/account/password"
    assert (await client.get("/account")).headers["location"] == "/account/password"
    forced = await client.get("/account/password")
    assert forced.status_code == 200
    assert 'id="password-change-required"' in forced.text

    done = await client.post(
        "/account/password",
        data=form(client, current_password=one_time, new_password=NEW_PASSWORD),
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/dashboard"
    assert (await client.get("/dashboard")).status_code == 200
    assert (await client.get("/api/v1/assignments")).status_code == 200
    assert (await client.get(ME)).json()["must_change_password"] is False
    [event] = await events(teacher_client, "one_time_password_issued")
    assert event["subject_user_id"] == student.user_id
    assert event["actor_user_id"] == teacher.id


async def test_another_teachers_student_looks_missing_and_keeps_their_password(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    other = await people.teacher()
    foreign = await people.student(other)
    client = await logged_in(make_client, teacher.email)
    as_foreign = await client.post(f"/api/v1/students/{foreign.id}/one-time-password")
    as_missing = await client.post("/api/v1/students/9000000000/one-time-password")
    assert as_foreign.status_code == as_missing.status_code == 404
    assert as_foreign.json() == as_missing.json()
    page = await client.post(f"/students/{foreign.id}/one-time-password", data=form(client))
    assert page.status_code == 404
    assert await can_log_in(make_client, foreign.email, PASSWORD)


async def test_a_student_or_the_superuser_cannot_issue_a_students_one_time_password(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    for email in (student.email, await people.superuser()):
        client = await logged_in(make_client, email)
        response = await client.post(f"/api/v1/students/{student.id}/one-time-password")
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    teacher_client = await logged_in(make_client, teacher.email)
    response = await teacher_client.post(f"/api/v1/teachers/{teacher.id}/one-time-password")
    assert response.status_code == 403
    assert await can_log_in(make_client, student.email, PASSWORD)


async def test_the_superuser_issues_a_teachers_one_time_password_and_their_students_stay(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    admin = await logged_in(make_client, await people.superuser())
    teachers_login = await logged_in(make_client, teacher.email)
    students_login = await logged_in(make_client, student.email)

    response = await admin.post(f"/api/v1/teachers/{teacher.id}/one-time-password")
    assert response.status_code == 200, response.text
    assert (await teachers_login.get(ME)).status_code == 401
    assert (await students_login.get(ME)).status_code == 200
    client = await logged_in(make_client, teacher.email, response.json()["password"])
    assert (await client.get("/api/v1/students")).json()["code"] == "password_change_required"
    assert (await admin.post("/api/v1/teachers/9000000000/one-time-password")).status_code == 404


async def test_the_one_time_password_page_shows_it_once(
    people: People, make_client: MakeClient
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    client = await logged_in(make_client, teacher.email)
    edit = await client.get(f"/students/{student.id}/edit")
    assert f'action="/students/{student.id}/one-time-password"' in edit.text
    page = await client.post(f"/students/{student.id}/one-time-password", data=form(client))
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    shown = page.text.split('id="one-time-password">')[1].split("<")[0]
    assert password_problems(shown) == []
    assert await can_log_in(make_client, student.email, shown)
    assert shown not in (await client.get(f"/students/{student.id}/edit")).text

    admin = await logged_in(make_client, await people.superuser())
    page = await admin.post(f"/superuser/teachers/{teacher.id}/one-time-password", data=form(admin))
    assert page.status_code == 200, page.text
    assert 'id="one-time-password"' in page.text
