"""CSRF: cookie-authenticated state changes need a matching token and our own Origin."""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import SimpleCookie

import httpx
import pytest

from app.core.config import Settings
from app.core.cookies import CSRF_COOKIE, CSRF_FORM_FIELD, CSRF_HEADER
from app.core.i18n import gettext_for
from app.core.middleware import _multipart_token
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
        "field": None,
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


# --- a Bearer header decides nothing unless its token is valid ---------------------------------


async def test_junk_bearer_header_does_not_switch_csrf_off_for_the_cookies(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    group = await client.post("/api/v1/groups", json={"name": "Before"})
    assert group.status_code == 201, group.text
    del client.headers[CSRF_HEADER]

    response = await client.patch(
        f"/api/v1/groups/{group.json()['id']}",
        json={"name": "Hijacked"},
        headers={"Authorization": "Bearer junk", "Origin": "https://evil.com"},
    )

    # The junk token is refused outright: the cookies are not tried behind it.
    assert response.status_code == 401, response.text
    assert (await client.get(f"/api/v1/groups/{group.json()['id']}")).json()["name"] == "Before"


@pytest.mark.parametrize("authorization", ["Bearer junk", "Bearer ", "bearer x.y.z"])
async def test_invalid_bearer_never_falls_back_to_the_session_cookies(
    client: httpx.AsyncClient, people: People, authorization: str
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)

    for path in ("/api/v1/users/me", "/dashboard"):
        response = await client.get(path, headers={"Authorization": authorization})
        assert response.status_code == 401, (path, response.text)
    # Nor the refresh cookie: the session itself is untouched.
    assert (await client.get("/api/v1/users/me")).status_code == 200


async def test_invalid_bearer_on_the_login_form_still_needs_the_csrf_token(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await client.get("/auth/login")

    response = await client.post(
        "/auth/login",
        data={"email": teacher.email, "password": PASSWORD},
        headers={"Authorization": "Bearer junk"},
    )

    assert response.status_code == 403
    assert "access_token" not in client.cookies


# --- Origin: scheme, host and port --------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver:8080"},
        {"Origin": "https://testserver"},
        {"Referer": "https://testserver/students/new"},
        {"Origin": "http://testserver:notaport"},
        {"Origin": "ftp://testserver"},
    ],
)
async def test_same_host_with_another_scheme_or_port_is_another_site(
    client: httpx.AsyncClient, people: People, settings: Settings, headers: dict[str, str]
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)

    response = await client.post(STUDENTS, json=NEW_STUDENT, headers=headers)

    assert_csrf_refused(response, settings, CROSS_SITE)
    assert await student_emails(client) == []


@pytest.mark.parametrize(
    "headers", [{"Origin": "http://testserver:80"}, {"Origin": "HTTP://TestServer"}]
)
async def test_the_default_port_and_letter_case_are_the_same_origin(
    client: httpx.AsyncClient, people: People, headers: dict[str, str]
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    response = await client.post(STUDENTS, json=NEW_STUDENT, headers=headers)
    assert response.status_code == 201, response.text


async def test_an_https_site_on_its_own_port_is_its_own_origin(app: object, people: People) -> None:
    teacher = await people.teacher()
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://school.example:8443") as c:
        await login_as(c, teacher.email)
        ok = await c.post(
            STUDENTS, json=NEW_STUDENT, headers={"Origin": "https://school.example:8443"}
        )
        other_port = await c.post(
            STUDENTS, json=NEW_STUDENT, headers={"Origin": "https://school.example"}
        )
    assert ok.status_code == 201, ok.text
    assert other_port.status_code == 403


# --- the token rotates at login -----------------------------------------------------------------


def csrf_cookies_set(response: httpx.Response) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(CSRF_COOKIE + "=")]


async def test_json_login_sets_a_fresh_csrf_token(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await client.get("/auth/login")
    planted = client.cookies[CSRF_COOKIE]

    response = await client.post(
        "/api/v1/auth/login",
        json={"email": teacher.email, "password": PASSWORD},
        headers={CSRF_HEADER: planted},
    )

    assert response.status_code == 200, response.text
    assert len(csrf_cookies_set(response)) == 1
    fresh = client.cookies[CSRF_COOKIE]
    assert fresh != planted
    stale = await client.post(STUDENTS, json=NEW_STUDENT, headers={CSRF_HEADER: planted})
    assert stale.status_code == 403
    works = await client.post(STUDENTS, json=NEW_STUDENT, headers={CSRF_HEADER: fresh})
    assert works.status_code == 201, works.text


async def test_page_login_sets_a_fresh_csrf_token_and_the_next_form_works(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await client.get("/auth/login")
    planted = client.cookies[CSRF_COOKIE]

    response = await client.post(
        "/auth/login",
        data={"email": teacher.email, "password": PASSWORD, CSRF_FORM_FIELD: planted},
    )

    assert response.status_code == 303, response.text
    assert len(csrf_cookies_set(response)) == 1
    fresh = client.cookies[CSRF_COOKIE]
    assert fresh != planted
    form = await client.get("/students/new")
    assert f'name="{CSRF_FORM_FIELD}" value="{fresh}"' in form.text
    created = await client.post("/students/new", data={**NEW_STUDENT, CSRF_FORM_FIELD: fresh})
    assert created.status_code == 303, created.text
    refused = await client.post("/students/new", data={**NEW_STUDENT, CSRF_FORM_FIELD: planted})
    assert refused.status_code == 403


async def test_a_failed_page_login_keeps_the_token_of_the_form(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await client.get("/auth/login")
    token = client.cookies[CSRF_COOKIE]

    response = await client.post(
        "/auth/login",
        data={"email": teacher.email, "password": "wrong", CSRF_FORM_FIELD: token},
    )

    assert response.status_code == 401
    assert csrf_cookies_set(response) == []
    assert f'value="{token}"' in response.text


# --- multipart forms ----------------------------------------------------------------------------


async def post_multipart(
    client: httpx.AsyncClient, fields: list[tuple[str, str]]
) -> httpx.Response:
    """The form as multipart/form-data, its fields in the given order (httpx sends multipart
    when there is a file part: an empty one, which the page ignores)."""
    return await client.post(
        "/students/new", data=dict(fields), files={"": ("", b"", "application/octet-stream")}
    )


async def test_multipart_form_with_the_csrf_field_first_succeeds(
    client: httpx.AsyncClient, people: People
) -> None:
    token = await teacher_without_csrf_header(client, people)
    fields = [(CSRF_FORM_FIELD, token), *NEW_STUDENT.items()]

    response = await post_multipart(client, fields)

    assert response.status_code == 303, response.text
    assert await student_emails(client) == [NEW_STUDENT["email"]]


async def test_multipart_form_with_the_csrf_field_after_other_fields_succeeds(
    client: httpx.AsyncClient, people: People
) -> None:
    token = await teacher_without_csrf_header(client, people)
    fields = [*NEW_STUDENT.items(), (CSRF_FORM_FIELD, token)]

    response = await post_multipart(client, fields)

    assert response.status_code == 303, response.text
    assert await student_emails(client) == [NEW_STUDENT["email"]]


@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_multipart_form_without_the_right_csrf_field_is_403(
    client: httpx.AsyncClient, people: People, settings: Settings, token: str | None
) -> None:
    await teacher_without_csrf_header(client, people)
    fields = list(NEW_STUDENT.items())
    if token is not None:
        fields.insert(0, (CSRF_FORM_FIELD, token))

    response = await post_multipart(client, fields)

    assert response.status_code == 403
    assert response.text == gettext_for(settings.default_language, CSRF_FAILED)
    assert await student_emails(client) == []


async def test_multipart_body_that_is_not_multipart_is_403(
    client: httpx.AsyncClient, people: People
) -> None:
    token = await teacher_without_csrf_header(client, people)
    response = await client.post(
        "/students/new",
        content=f"{CSRF_FORM_FIELD}={token}".encode(),
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 403


async def test_multipart_token_is_read_without_reading_the_upload_behind_it() -> None:
    """The middleware stops at the token; the upload streams on to the app, unread and whole."""
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{CSRF_FORM_FIELD}"\r\n\r\n'
        f'the-token\r\n--{boundary}\r\nContent-Disposition: form-data; name="file";'
        ' filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    chunks = [head, *([b"x" * 65536] * 80), f"\r\n--{boundary}--\r\n".encode()]  # ~5 MB
    calls = 0

    async def receive() -> dict[str, object]:
        nonlocal calls
        calls += 1
        return {"type": "http.request", "body": chunks[calls - 1], "more_body": calls < len(chunks)}

    token, replay = await _multipart_token(f"multipart/form-data; boundary={boundary}", receive)

    assert token == "the-token"
    assert calls == 1
    received = b""
    while True:
        message = await replay()
        received += message["body"]
        if not message["more_body"]:
            break
    assert received == b"".join(chunks)
