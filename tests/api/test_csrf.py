"""CSRF: cookie-authenticated state changes need a matching token and our own Origin."""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import SimpleCookie

import httpx
import pytest

from app.core.config import Settings
from app.core.cookies import CSRF_COOKIE, CSRF_FORM_FIELD, CSRF_HEADER
from app.core.i18n import gettext_for
from tests.conftest import PASSWORD, People, login_as

MakeClient = Callable[[], httpx.AsyncClient]

STUDENTS = "/api/v1/students"
NEW_STUDENT = {
    "email": "new.student@example.com",
    "password": PASSWORD,
    "name": "N",
    "surname": "S",
}
CSRF_FAILED = "CSRF token missing or invalid"
CROSS_SITE = "Cross-site request refused"


def assert_csrf_refused(response: httpx.Response, settings: Settings, msgid: str) -> None:
    assert response.status_code == 403, response.text
    assert response.json() == {
        "detail": gettext_for(settings.default_language, msgid),
        "code": "csrf_failed",
    }


async def student_emails(client: httpx.AsyncClient) -> list[str]:
    """What the teacher's API shows (read with a GET, which needs no token)."""
    response = await client.get(STUDENTS)
    assert response.status_code == 200, response.text
    return [item["email"] for item in response.json()["items"]]


async def teacher_without_csrf_header(client: httpx.AsyncClient, people: People) -> str:
    """A teacher signed in by cookie whose client does not send the header; the cookie's token."""
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    del client.headers[CSRF_HEADER]
    return client.cookies[CSRF_COOKIE]


# --- the double-submit token -------------------------------------------------------------------


async def test_cookie_post_without_csrf_token_is_403_and_creates_nothing(
    client: httpx.AsyncClient, people: People, settings: Settings
) -> None:
    await teacher_without_csrf_header(client, people)

    response = await client.post(STUDENTS, json=NEW_STUDENT)

    assert_csrf_refused(response, settings, CSRF_FAILED)
    assert await student_emails(client) == []


async def test_cookie_patch_without_csrf_token_is_403_and_changes_nothing(
    client: httpx.AsyncClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher, name="Before")
    await login_as(client, teacher.email)
    del client.headers[CSRF_HEADER]

    response = await client.patch(f"{STUDENTS}/{student.id}", json={"name": "After"})

    assert_csrf_refused(response, settings, CSRF_FAILED)
    current = await client.get(f"{STUDENTS}/{student.id}")
    assert current.json()["name"] == "Before"


async def test_cookie_delete_without_csrf_token_is_403_and_student_stays_active(
    client: httpx.AsyncClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    await login_as(client, teacher.email)
    del client.headers[CSRF_HEADER]

    response = await client.delete(f"{STUDENTS}/{student.id}")

    assert_csrf_refused(response, settings, CSRF_FAILED)
    current = await client.get(f"{STUDENTS}/{student.id}")
    assert current.json()["is_active"] is True


async def test_superuser_patch_without_csrf_token_does_not_deactivate_teacher(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    teacher_client = make_client()
    await login_as(teacher_client, teacher.email)
    await login_as(client, await people.superuser())
    del client.headers[CSRF_HEADER]

    response = await client.patch(f"/api/v1/teachers/{teacher.id}", json={"is_active": False})

    assert_csrf_refused(response, settings, CSRF_FAILED)
    assert (await client.get(f"/api/v1/teachers/{teacher.id}")).json()["is_active"] is True
    assert (await teacher_client.get("/api/v1/users/me")).status_code == 200


@pytest.mark.parametrize("wrong", ["wrong-token", "", " "])
async def test_cookie_post_with_wrong_csrf_token_is_403(
    client: httpx.AsyncClient, people: People, settings: Settings, wrong: str
) -> None:
    await teacher_without_csrf_header(client, people)

    response = await client.post(STUDENTS, json=NEW_STUDENT, headers={CSRF_HEADER: wrong})

    assert_csrf_refused(response, settings, CSRF_FAILED)
    assert await student_emails(client) == []


async def test_csrf_token_from_another_browser_is_403(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    await teacher_without_csrf_header(client, people)
    # An attacker's own (valid-looking) token is not this browser's token.
    attacker = make_client()
    await attacker.get("/healthz")
    attacker_token = attacker.cookies[CSRF_COOKIE]

    response = await client.post(STUDENTS, json=NEW_STUDENT, headers={CSRF_HEADER: attacker_token})

    assert_csrf_refused(response, settings, CSRF_FAILED)
    assert await student_emails(client) == []


async def test_session_cookie_without_csrf_cookie_is_403_whatever_the_header(
    client: httpx.AsyncClient, make_client: MakeClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    access = client.cookies["access_token"]
    # No csrftoken cookie to compare with: any header value is refused.
    other = make_client()
    response = await other.post(
        STUDENTS,
        json=NEW_STUDENT,
        headers={"Cookie": f"access_token={access}", CSRF_HEADER: "made-up"},
    )
    assert_csrf_refused(response, settings, CSRF_FAILED)
    assert await student_emails(client) == []


async def test_cookie_post_with_matching_csrf_header_succeeds(
    client: httpx.AsyncClient, people: People
) -> None:
    token = await teacher_without_csrf_header(client, people)

    response = await client.post(STUDENTS, json=NEW_STUDENT, headers={CSRF_HEADER: token})

    assert response.status_code == 201, response.text
    assert await student_emails(client) == [NEW_STUDENT["email"]]


async def test_cookie_patch_and_delete_with_matching_csrf_header_succeed(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher, name="Before")
    await login_as(client, teacher.email)  # sends the header on every request

    patched = await client.patch(f"{STUDENTS}/{student.id}", json={"name": "After"})
    deleted = await client.delete(f"{STUDENTS}/{student.id}")

    assert patched.status_code == 200, patched.text
    assert deleted.status_code == 200, deleted.text
    current = (await client.get(f"{STUDENTS}/{student.id}")).json()
    assert (current["name"], current["is_active"]) == ("After", False)


# --- HTML forms ---------------------------------------------------------------------------------


async def test_form_post_with_csrf_field_succeeds(
    client: httpx.AsyncClient, people: People
) -> None:
    token = await teacher_without_csrf_header(client, people)
    form = await client.get("/students/new")
    assert form.status_code == 200
    assert f'name="{CSRF_FORM_FIELD}" value="{token}"' in form.text

    response = await client.post(
        "/students/new",
        data={**NEW_STUDENT, CSRF_FORM_FIELD: token},
    )

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/students"
    assert await student_emails(client) == [NEW_STUDENT["email"]]


@pytest.mark.parametrize("field", [None, "wrong-token"])
async def test_form_post_without_the_right_csrf_field_is_403_and_creates_nothing(
    client: httpx.AsyncClient, people: People, settings: Settings, field: str | None
) -> None:
    await teacher_without_csrf_header(client, people)
    data = dict(NEW_STUDENT)
    if field is not None:
        data[CSRF_FORM_FIELD] = field

    response = await client.post("/students/new", data=data)

    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == gettext_for(settings.default_language, CSRF_FAILED)
    assert await student_emails(client) == []


async def test_login_form_post_without_csrf_token_is_403(
    client: httpx.AsyncClient, people: People
) -> None:
    # Login CSRF: a forged form must not sign the victim's browser into someone's account.
    teacher = await people.teacher()
    await client.get("/auth/login")  # the browser has the csrftoken cookie
    response = await client.post("/auth/login", data={"email": teacher.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "access_token" not in client.cookies
    assert (await client.get("/api/v1/users/me")).status_code == 401


async def test_login_form_post_from_a_fresh_browser_without_token_is_403(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    response = await client.post("/auth/login", data={"email": teacher.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "access_token" not in client.cookies


async def test_json_login_from_a_client_holding_cookies_needs_the_token(
    client: httpx.AsyncClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    await client.get("/auth/login")
    credentials = {"email": teacher.email, "password": PASSWORD}

    refused = await client.post("/api/v1/auth/login", json=credentials)
    accepted = await client.post(
        "/api/v1/auth/login", json=credentials, headers={CSRF_HEADER: client.cookies[CSRF_COOKIE]}
    )

    assert_csrf_refused(refused, settings, CSRF_FAILED)
    assert accepted.status_code == 200, accepted.text


# --- Origin / Referer ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.com"},
        {"Origin": "http://testserver.evil.com"},
        {"Origin": "null"},
        {"Referer": "https://evil.com/page"},
    ],
)
async def test_request_from_another_site_is_403_even_with_the_right_token(
    client: httpx.AsyncClient, people: People, settings: Settings, headers: dict[str, str]
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)  # the right token is in the header

    response = await client.post(STUDENTS, json=NEW_STUDENT, headers=headers)

    assert_csrf_refused(response, settings, CROSS_SITE)
    assert await student_emails(client) == []


async def test_cross_site_form_post_is_403_even_with_the_right_field(
    client: httpx.AsyncClient, people: People, settings: Settings
) -> None:
    token = await teacher_without_csrf_header(client, people)
    response = await client.post(
        "/students/new",
        data={**NEW_STUDENT, CSRF_FORM_FIELD: token},
        headers={"Origin": "https://evil.com"},
    )
    assert response.status_code == 403
    assert response.text == gettext_for(settings.default_language, CROSS_SITE)
    assert await student_emails(client) == []


@pytest.mark.parametrize(
    "headers", [{"Origin": "http://testserver"}, {"Referer": "http://testserver/students/new"}]
)
async def test_same_site_request_with_the_right_token_succeeds(
    client: httpx.AsyncClient, people: People, headers: dict[str, str]
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    response = await client.post(STUDENTS, json=NEW_STUDENT, headers=headers)
    assert response.status_code == 201, response.text
    assert await student_emails(client) == [NEW_STUDENT["email"]]


# --- Bearer tokens ------------------------------------------------------------------------------


async def test_bearer_request_needs_no_csrf_token(
    client: httpx.AsyncClient, make_client: MakeClient, people: People
) -> None:
    teacher = await people.teacher()
    token = (await login_as(client, teacher.email)).json()["access_token"]
    api_client = make_client()
    await api_client.get("/healthz")  # it even holds a csrftoken cookie, and sends no header
    assert CSRF_COOKIE in api_client.cookies

    response = await api_client.post(
        STUDENTS, json=NEW_STUDENT, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 201, response.text
    assert await student_emails(client) == [NEW_STUDENT["email"]]


# --- the cookie itself --------------------------------------------------------------------------


async def test_csrf_cookie_is_issued_once_and_readable_by_page_scripts(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/auth/login")
    headers = [h for h in first.headers.get_list("set-cookie") if h.startswith(CSRF_COOKIE)]
    assert len(headers) == 1
    parsed: SimpleCookie = SimpleCookie()
    parsed.load(headers[0])
    cookie = parsed[CSRF_COOKIE]
    assert len(cookie.value) >= 32
    assert not cookie["httponly"]  # pages' scripts echo it in the header
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"

    second = await client.get("/auth/login")
    assert not [h for h in second.headers.get_list("set-cookie") if h.startswith(CSRF_COOKIE)]
    assert client.cookies[CSRF_COOKIE] == cookie.value
