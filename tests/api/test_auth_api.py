"""Logging in and out (JSON and pages), the signed-in user, refresh, and what ends a session."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from http.cookies import Morsel, SimpleCookie

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import URL

from app.api.deps import SESSION_ENDED
from app.core.config import Settings
from app.core.cookies import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    REFRESH_COOKIE,
)
from app.core.database import Database
from app.core.i18n import gettext_for
from app.core.security import decode_access_token
from app.main import create_app
from app.services.auth.login import ACCOUNT_DEACTIVATED
from app.services.auth.sessions import INVALID_CREDENTIALS
from tests.conftest import PASSWORD, People, after_reuse_grace, login_as, make_settings

MakeClient = Callable[[], httpx.AsyncClient]

ME = "/api/v1/users/me"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
REPLAY_CSRF = "replayed-csrf-token"
JSON_HEADERS = {"content-type": "application/json"}


def set_cookies(response: httpx.Response) -> dict[str, Morsel[str]]:
    """The cookies a response sets, by name, with their attributes."""
    found: dict[str, Morsel[str]] = {}
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        found.update(parsed)
    return found


def issued(response: httpx.Response) -> set[str]:
    """Names of the cookies a response sets to a value (clearing a cookie does not count)."""
    return {name for name, cookie in set_cookies(response).items() if cookie.value}


def cookie_header(**values: str) -> dict[str, str]:
    """Exactly these cookies, whatever a client's jar holds, plus a matching CSRF pair (these
    tests are about sessions; test_csrf.py is about the CSRF check)."""
    cookies = {**values, CSRF_COOKIE: REPLAY_CSRF}
    return {
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
        CSRF_HEADER: REPLAY_CSRF,
    }


def message(settings: Settings, msgid: str) -> str:
    return gettext_for(settings.default_language, msgid)


async def try_login(make_client: MakeClient, email: str, password: str) -> httpx.Response:
    """One JSON login attempt from a new API client (no cookies, so no CSRF token needed)."""
    return await make_client().post(LOGIN, json={"email": email, "password": password})


async def logged_in(make_client: MakeClient, email: str) -> httpx.AsyncClient:
    client = make_client()
    await login_as(client, email)
    return client


async def deactivate_teacher(admin: httpx.AsyncClient, teacher_id: int) -> None:
    response = await admin.patch(f"/api/v1/teachers/{teacher_id}", json={"is_active": False})
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False


async def deactivate_student(teacher: httpx.AsyncClient, student_id: int) -> None:
    response = await teacher.delete(f"/api/v1/students/{student_id}")
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False


def assert_ended_session(response: httpx.Response, settings: Settings) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {
        "detail": message(settings, SESSION_ENDED),
        "code": "not_authenticated",
        "field": None,
    }


# --- JSON login ---------------------------------------------------------------------------------


async def test_json_login_returns_user_and_sets_httponly_lax_session_cookies(
    client: httpx.AsyncClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()

    response = await client.post(LOGIN, json={"email": teacher.email, "password": PASSWORD})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["id"] == teacher.id
    assert body["user"]["email"] == teacher.email
    assert body["user"]["role"] == "teacher"
    assert body["token_type"] == "bearer"
    assert "password_hash" not in body["user"]
    claims = decode_access_token(settings, body["access_token"])
    assert claims.user_id == teacher.id

    cookies = set_cookies(response)
    access, refresh = cookies[ACCESS_COOKIE], cookies[REFRESH_COOKIE]
    assert access.value == body["access_token"]
    assert refresh.value.startswith(f"{claims.session_id}.")
    for cookie in (access, refresh):
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == "/"
        assert not cookie["secure"]  # plain-HTTP test settings
    assert access["max-age"] == str(settings.access_token_expire_minutes * 60)
    assert refresh["max-age"] == str(settings.refresh_token_expire_days * 24 * 3600)
    # The cookies work: the same client is now signed in.
    me = await client.get(ME)
    assert me.status_code == 200, me.text
    assert me.json()["id"] == teacher.id


async def test_session_cookies_are_secure_when_configured(
    people: People, owner_url: URL, database: Database
) -> None:
    app: FastAPI = create_app(make_settings(owner_url, cookie_secure=True), database)
    teacher = await people.teacher()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        response = await client.post(LOGIN, json={"email": teacher.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    cookies = set_cookies(response)
    assert cookies[ACCESS_COOKIE]["secure"] is True
    assert cookies[REFRESH_COOKIE]["secure"] is True
    assert cookies[ACCESS_COOKIE]["httponly"] is True


async def test_wrong_password_and_unknown_email_get_the_same_401(
    make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()

    wrong_password = await try_login(make_client, teacher.email, PASSWORD + "x")
    unknown_email = await try_login(make_client, "nobody@example.com", PASSWORD)

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json() == {
        "detail": message(settings, INVALID_CREDENTIALS),
        "code": "not_authenticated",
        "field": None,
    }
    for response in (wrong_password, unknown_email):
        assert not issued(response) & {ACCESS_COOKIE, REFRESH_COOKIE}


def assert_deactivated(response: httpx.Response, settings: Settings) -> None:
    """The right password of a switched-off account: told so (not "wrong e-mail or password")."""
    assert response.status_code == 401
    assert response.json() == {
        "detail": message(settings, ACCOUNT_DEACTIVATED),
        "code": "account_deactivated",
        "field": None,
    }


async def test_deactivated_teacher_cannot_log_in(
    make_client: MakeClient, people: People, settings: Settings
) -> None:
    admin = await logged_in(make_client, await people.superuser())
    teacher = await people.teacher()
    wrong_password = await try_login(make_client, teacher.email, "Wrong-Password-1!")
    await deactivate_teacher(admin, teacher.id)

    response = await try_login(make_client, teacher.email, PASSWORD)

    assert response.status_code == 401
    assert_deactivated(response, settings)
    # Only the right password learns that: a wrong one gets the answer it always got.
    still_wrong = await try_login(make_client, teacher.email, "Wrong-Password-1!")
    assert still_wrong.json() == wrong_password.json()
    assert ACCESS_COOKIE not in issued(response)


async def test_deactivated_student_cannot_log_in(
    make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    teacher_client = await logged_in(make_client, teacher.email)
    wrong_password = await try_login(make_client, student.email, "Wrong-Password-1!")
    await deactivate_student(teacher_client, student.id)

    response = await try_login(make_client, student.email, PASSWORD)

    assert response.status_code == 401
    assert_deactivated(response, settings)
    # Only the right password learns that: a wrong one gets the answer it always got.
    still_wrong = await try_login(make_client, student.email, "Wrong-Password-1!")
    assert still_wrong.json() == wrong_password.json()
    assert ACCESS_COOKIE not in issued(response)


async def test_student_of_deactivated_teacher_cannot_log_in(
    make_client: MakeClient, people: People, settings: Settings
) -> None:
    admin = await logged_in(make_client, await people.superuser())
    teacher = await people.teacher()
    student = await people.student(teacher)
    before = await try_login(make_client, student.email, PASSWORD)
    assert before.status_code == 200, before.text
    wrong_password = await try_login(make_client, student.email, "Wrong-Password-1!")
    await deactivate_teacher(admin, teacher.id)

    response = await try_login(make_client, student.email, PASSWORD)

    assert response.status_code == 401
    assert_deactivated(response, settings)
    # Only the right password learns that: a wrong one gets the answer it always got.
    still_wrong = await try_login(make_client, student.email, "Wrong-Password-1!")
    assert still_wrong.json() == wrong_password.json()
    assert ACCESS_COOKIE not in issued(response)


async def test_login_email_is_case_insensitive(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher(email="Mixed.Case@example.com")
    assert teacher.email == "mixed.case@example.com"

    response = await client.post(
        LOGIN, json={"email": "  MIXED.case@EXAMPLE.COM ", "password": PASSWORD}
    )

    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == teacher.id
    assert ACCESS_COOKIE in set_cookies(response)


async def test_login_password_is_case_sensitive(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    response = await client.post(LOGIN, json={"email": teacher.email, "password": PASSWORD.upper()})
    assert response.status_code == 401
    assert ACCESS_COOKIE not in issued(response)


async def test_login_with_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        LOGIN, content=b'{"email": "a@example.com", "password":', headers=JSON_HEADERS
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors[0]["code"] == "json_invalid"
    assert ACCESS_COOKIE not in issued(response)


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"email": "a@example.com"}, ["password"]),
        ({"password": PASSWORD}, ["email"]),
        ({}, ["email", "password"]),
    ],
)
async def test_login_with_missing_fields_is_422_naming_them(
    client: httpx.AsyncClient, body: dict[str, str], missing: list[str]
) -> None:
    response = await client.post(LOGIN, json=body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert sorted(error["field"] for error in errors if error["code"] == "missing") == missing


async def test_login_with_extra_fields_is_422(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    response = await client.post(
        LOGIN, json={"email": teacher.email, "password": PASSWORD, "role": "superuser"}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("extra_forbidden", "role")]
    assert ACCESS_COOKIE not in issued(response)


async def test_login_with_non_object_body_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGIN, json=["a@example.com", PASSWORD])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] is None


# --- the signed-in user -------------------------------------------------------------------------


async def test_users_me_for_superuser(client: httpx.AsyncClient, people: People) -> None:
    email = await people.superuser()
    await login_as(client, email)
    response = await client.get(ME)
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["email"] == email
    assert me["role"] == "superuser"
    assert me["teacher_id"] is None
    assert me["student_id"] is None
    assert me["is_active"] is True


async def test_users_me_for_teacher(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher(second_name="Ivanovna")
    await login_as(client, teacher.email)
    response = await client.get(ME)
    assert response.status_code == 200, response.text
    me = response.json()
    assert (me["id"], me["email"], me["role"]) == (teacher.id, teacher.email, "teacher")
    assert me["teacher_id"] is None
    assert me["student_id"] is None
    assert me["second_name"] == "Ivanovna"


async def test_users_me_for_student(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    await login_as(client, student.email)
    response = await client.get(ME)
    assert response.status_code == 200, response.text
    me = response.json()
    assert (me["id"], me["email"], me["role"]) == (student.user_id, student.email, "student")
    assert me["teacher_id"] == teacher.id
    assert me["student_id"] == student.id


async def test_users_me_without_session_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- refresh ------------------------------------------------------------------------------------


async def test_refresh_endpoint_issues_new_cookies_and_rotates_refresh_token(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    login = await login_as(client, teacher.email)
    old_refresh = set_cookies(login)[REFRESH_COOKIE].value

    response = await client.post(REFRESH)

    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == teacher.id
    cookies = set_cookies(response)
    new_refresh = cookies[REFRESH_COOKIE].value
    assert new_refresh and new_refresh != old_refresh
    assert cookies[ACCESS_COOKIE].value == response.json()["access_token"]
    assert cookies[REFRESH_COOKIE]["httponly"] is True
    # Same login (session id), new secret.
    assert new_refresh.split(".")[0] == old_refresh.split(".")[0]
    assert client.cookies[REFRESH_COOKIE] == new_refresh
    assert (await client.get(ME)).status_code == 200

    # The new refresh token works on its own (no access cookie at all).
    again = await make_client().post(REFRESH, headers=cookie_header(refresh_token=new_refresh))
    assert again.status_code == 200, again.text
    assert again.json()["user"]["id"] == teacher.id


async def test_refresh_endpoint_refuses_a_rotated_away_token(
    client: httpx.AsyncClient,
    make_client: MakeClient,
    people: People,
    settings: Settings,
    database: Database,
) -> None:
    teacher = await people.teacher()
    old_refresh = set_cookies(await login_as(client, teacher.email))[REFRESH_COOKIE].value
    assert (await client.post(REFRESH)).status_code == 200
    await after_reuse_grace(database)

    replay = await make_client().post(REFRESH, headers=cookie_header(refresh_token=old_refresh))

    assert_ended_session(replay, settings)
    assert ACCESS_COOKIE not in issued(replay)


async def test_reusing_rotated_refresh_token_at_refresh_endpoint_revokes_the_session(
    client: httpx.AsyncClient,
    make_client: MakeClient,
    people: People,
    settings: Settings,
    database: Database,
) -> None:
    teacher = await people.teacher()
    old_refresh = set_cookies(await login_as(client, teacher.email))[REFRESH_COOKIE].value
    rotated = await client.post(REFRESH)
    assert rotated.status_code == 200
    new_access = set_cookies(rotated)[ACCESS_COOKIE].value
    new_refresh = set_cookies(rotated)[REFRESH_COOKIE].value
    await after_reuse_grace(database)

    # Someone replays the stolen, rotated-away token: the whole login must end.
    replay = await make_client().post(REFRESH, headers=cookie_header(refresh_token=old_refresh))
    assert replay.status_code == 401

    holder = make_client()
    assert_ended_session(
        await holder.get(ME, headers=cookie_header(access_token=new_access)), settings
    )
    assert_ended_session(
        await holder.post(REFRESH, headers=cookie_header(refresh_token=new_refresh)), settings
    )


async def test_parallel_request_with_the_just_rotated_token_gets_an_access_token_only(
    client: httpx.AsyncClient, make_client: MakeClient, people: People
) -> None:
    """Two requests that both found the access token expired carry the same refresh token; the
    slower one is renewed too (access cookie only) and the login stays alive."""
    teacher = await people.teacher()
    old_refresh = set_cookies(await login_as(client, teacher.email))[REFRESH_COOKIE].value
    rotated = await client.post(REFRESH)
    new_refresh = set_cookies(rotated)[REFRESH_COOKIE].value

    twin = await make_client().post(REFRESH, headers=cookie_header(refresh_token=old_refresh))

    assert twin.status_code == 200, twin.text
    assert issued(twin) == {ACCESS_COOKIE}
    later = await make_client().post(REFRESH, headers=cookie_header(refresh_token=new_refresh))
    assert later.status_code == 200
    assert REFRESH_COOKIE in issued(later)


async def test_refresh_endpoint_without_cookie_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post(REFRESH)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert ACCESS_COOKIE not in issued(response)


async def test_refresh_endpoint_with_malformed_token_is_401(
    make_client: MakeClient, settings: Settings
) -> None:
    response = await make_client().post(REFRESH, headers=cookie_header(refresh_token="not-a-token"))
    assert_ended_session(response, settings)


# --- logout -------------------------------------------------------------------------------------


async def test_api_logout_revokes_the_session_server_side(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    cookies = set_cookies(await login_as(client, teacher.email))
    old_access, old_refresh = cookies[ACCESS_COOKIE].value, cookies[REFRESH_COOKIE].value

    response = await client.post(LOGOUT)

    assert response.status_code == 204, response.text
    cleared = set_cookies(response)
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        assert cleared[name].value == ""
        assert cleared[name]["max-age"] == "0"
    assert ACCESS_COOKIE not in client.cookies
    # Re-sending the old cookies (a copy kept by an attacker) no longer works.
    other = make_client()
    assert_ended_session(
        await other.get(ME, headers=cookie_header(access_token=old_access)), settings
    )
    both = cookie_header(access_token=old_access, refresh_token=old_refresh)
    assert_ended_session(await other.get(ME, headers=both), settings)
    only_refresh = await other.get(ME, headers=cookie_header(refresh_token=old_refresh))
    assert only_refresh.status_code == 401
    assert_ended_session(
        await other.post(REFRESH, headers=cookie_header(refresh_token=old_refresh)), settings
    )


async def test_page_logout_revokes_the_session_server_side(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    cookies = set_cookies(await login_as(client, teacher.email))
    old_access = cookies[ACCESS_COOKIE].value
    confirm = await client.get("/auth/logout")
    assert confirm.status_code == 200
    assert 'action="/auth/logout"' in confirm.text

    # A plain HTML form post: the token comes in the form field, not the header.
    del client.headers[CSRF_HEADER]
    response = await client.post(
        "/auth/logout", data={CSRF_FORM_FIELD: client.cookies[CSRF_COOKIE]}
    )

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/auth/login"
    assert set_cookies(response)[ACCESS_COOKIE].value == ""
    assert (await client.get(ME)).status_code == 401
    replay = await make_client().get(ME, headers=cookie_header(access_token=old_access))
    assert_ended_session(replay, settings)


async def test_logout_without_session_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGOUT)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_logout_ends_only_that_login(
    client: httpx.AsyncClient, make_client: MakeClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    laptop = await logged_in(make_client, teacher.email)

    assert (await client.post(LOGOUT)).status_code == 204

    assert (await client.get(ME)).status_code == 401
    still = await laptop.get(ME)
    assert still.status_code == 200, still.text
    assert still.json()["id"] == teacher.id


# --- deactivation ends existing sessions --------------------------------------------------------


async def test_deactivating_teacher_ends_their_existing_session(
    make_client: MakeClient, people: People, settings: Settings
) -> None:
    admin = await logged_in(make_client, await people.superuser())
    teacher = await people.teacher()
    teacher_client = await logged_in(make_client, teacher.email)
    refresh = teacher_client.cookies[REFRESH_COOKIE]
    assert (await teacher_client.get("/api/v1/students")).status_code == 200

    await deactivate_teacher(admin, teacher.id)

    assert_ended_session(await teacher_client.get("/api/v1/students"), settings)
    # Nor can the refresh cookie bring the session back.
    renewal = await make_client().post(REFRESH, headers=cookie_header(refresh_token=refresh))
    assert_ended_session(renewal, settings)


async def test_deactivating_student_ends_their_existing_session(
    make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    teacher_client = await logged_in(make_client, teacher.email)
    student_client = await logged_in(make_client, student.email)
    refresh = student_client.cookies[REFRESH_COOKIE]
    assert (await student_client.get(ME)).status_code == 200

    await deactivate_student(teacher_client, student.id)

    assert_ended_session(await student_client.get(ME), settings)
    renewal = await make_client().post(REFRESH, headers=cookie_header(refresh_token=refresh))
    assert_ended_session(renewal, settings)
    # The teacher who did it is unaffected.
    assert (await teacher_client.get(ME)).status_code == 200


async def test_deactivating_teacher_ends_their_students_sessions(
    make_client: MakeClient, people: People, settings: Settings
) -> None:
    admin = await logged_in(make_client, await people.superuser())
    teacher = await people.teacher()
    other_teacher = await people.teacher()
    student = await people.student(teacher)
    other_student = await people.student(other_teacher)
    student_client = await logged_in(make_client, student.email)
    other_student_client = await logged_in(make_client, other_student.email)
    refresh = student_client.cookies[REFRESH_COOKIE]
    assert (await student_client.get(ME)).status_code == 200

    await deactivate_teacher(admin, teacher.id)

    assert_ended_session(await student_client.get(ME), settings)
    renewal = await make_client().post(REFRESH, headers=cookie_header(refresh_token=refresh))
    assert_ended_session(renewal, settings)
    # Another teacher's student keeps working.
    assert (await other_student_client.get(ME)).status_code == 200


# --- the login page -----------------------------------------------------------------------------


async def page_login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, next_url: str | None = None
) -> httpx.Response:
    """Log in like a browser: load the form (which sets the CSRF cookie), then post it."""
    form = await client.get("/auth/login")
    assert form.status_code == 200, form.text
    token = client.cookies[CSRF_COOKIE]
    assert f'value="{token}"' in form.text  # the form echoes the token in its hidden field
    data = {"email": email, "password": password, CSRF_FORM_FIELD: token}
    if next_url is not None:
        data["next"] = next_url
    return await client.post("/auth/login", data=data)


async def test_page_login_redirects_to_local_next(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()

    response = await page_login(client, teacher.email, next_url="/students?q=ann&offset=0")

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/students?q=ann&offset=0"
    cookies = set_cookies(response)
    assert cookies[ACCESS_COOKIE]["httponly"] is True
    assert cookies[ACCESS_COOKIE]["samesite"] == "Lax"
    assert cookies[REFRESH_COOKIE]["httponly"] is True
    me = await client.get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == teacher.id


async def test_page_login_without_next_goes_to_dashboard(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    response = await page_login(client, teacher.email)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.com",
        "https://evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "/\t/evil.com",
        "javascript:alert(1)",
        "evil.com/path",
        "/auth/login?next=//evil.com",
    ],
)
async def test_page_login_never_redirects_off_site(
    client: httpx.AsyncClient, people: People, next_url: str
) -> None:
    teacher = await people.teacher()

    response = await page_login(client, teacher.email, next_url=next_url)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"


async def test_page_login_failure_shows_the_same_message_for_unknown_email_and_wrong_password(
    client: httpx.AsyncClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    expected = html.escape(message(settings, INVALID_CREDENTIALS))

    wrong_password = await page_login(client, teacher.email, password="Wrong-Password-1!")
    unknown_email = await page_login(client, "nobody@example.com")

    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("text/html")
        assert expected in response.text
        assert ACCESS_COOKIE not in issued(response)
        assert "Wrong-Password-1!" not in response.text
    # The e-mail is kept in the form so the person can correct the password.
    assert f'value="{teacher.email}"' in wrong_password.text
    assert (await client.get(ME)).status_code == 401


async def test_page_login_keeps_safe_next_after_a_failure(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    failed = await page_login(
        client, teacher.email, password="Wrong-Password-1!", next_url="/x?y=1"
    )
    assert failed.status_code == 401
    assert 'name="next" value="/x?y=1"' in failed.text
    evil = await page_login(client, teacher.email, password="Wrong-1!", next_url="//evil.com")
    assert evil.status_code == 401
    assert "evil.com" not in evil.text


async def test_login_page_of_signed_in_user_goes_on_to_next(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    local = await client.get("/auth/login", params={"next": "/students"})
    assert local.status_code == 303
    assert local.headers["location"] == "/students"
    offsite = await client.get("/auth/login", params={"next": "//evil.com"})
    assert offsite.status_code == 303
    assert offsite.headers["location"] == "/dashboard"


async def test_page_login_of_a_deactivated_account_says_so_once_the_password_is_right(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    await deactivate_student(await logged_in(make_client, teacher.email), student.id)

    right = await page_login(client, student.email)
    wrong = await page_login(client, student.email, password="Wrong-Password-1!")

    assert right.status_code == wrong.status_code == 401
    assert html.escape(message(settings, ACCOUNT_DEACTIVATED)) in right.text
    assert html.escape(message(settings, INVALID_CREDENTIALS)) in wrong.text
    assert html.escape(message(settings, ACCOUNT_DEACTIVATED)) not in wrong.text


async def test_the_login_form_focuses_the_field_to_fill(
    client: httpx.AsyncClient, people: People
) -> None:
    """The e-mail field on arrival; the password after a failed attempt kept the e-mail."""
    fresh = await client.get("/auth/login")
    assert re.search(r'<input id="field-email"[^>]* autofocus', fresh.text)
    assert not re.search(r'<input id="field-password"[^>]* autofocus', fresh.text)
    failed = await page_login(client, "nobody@example.com", password="Wrong-Password-1!")
    assert re.search(r'<input id="field-password"[^>]* autofocus', failed.text)
    assert not re.search(r'<input id="field-email"[^>]* autofocus', failed.text)
