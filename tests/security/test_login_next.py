"""Where the login sends a person afterwards (`next`): only back to a page of this site.

A request without a session is sent to the login with `next`: a GET comes back to what it asked
for; a form post (Save, Submit) comes back to the page it was posted from (the same-origin
Referer), never to the URL it posted to, which takes POST only (a 405 page after the login).
The login follows `next` only when it is a local path that a GET page of the app answers.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.core.cookies import CSRF_COOKIE, CSRF_FORM_FIELD
from tests.conftest import PASSWORD, People
from tests.lms.helpers import quiz_lesson
from tests.pages.helpers import api, browser_login, post_form

OWN = "http://testserver"


async def log_in(client: httpx.AsyncClient, email: str, next_url: str) -> httpx.Response:
    form = await client.get("/auth/login")
    assert form.status_code == 200, form.text
    data = {
        "email": email,
        "password": PASSWORD,
        "next": next_url,
        CSRF_FORM_FIELD: client.cookies[CSRF_COOKIE],
    }
    return await client.post("/auth/login", data=data)


def next_of(response: httpx.Response) -> str | None:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/auth/login"
    values = parse_qs(location.query).get("next")
    return values[0] if values else None


# --- the login side: which `next` it follows


@pytest.mark.parametrize(
    "next_url",
    [
        "/assignments/1/save",  # takes POST only: the old 405 page
        "/assignments/1/submit",
        "/account/sessions/end-others",
        "/auth/login",
        "/auth/logout",
        "/api/v1/users/me",  # JSON, no page
        "/static/app.css",
        "/no-such-page",
        "//evil.example",
        "///evil.example",
        "https://evil.example/dashboard",
        "http:/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/%2F%2Fevil.example",
        "/%2f/evil.example",
        "/%5Cevil.example",
        "/%09/evil.example",
        "javascript:alert(1)",
        "evil.example/dashboard",
        "",
        " /dashboard",
    ],
)
async def test_login_refuses_next_that_is_no_local_get_page(
    client: httpx.AsyncClient, people: People, next_url: str
) -> None:
    teacher = await people.teacher()
    response = await log_in(client, teacher.email, next_url)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"


@pytest.mark.parametrize(
    "next_url",
    ["/students", "/students?q=ann&offset=0", "/lessons/5/edit", "/assignments/7", "/account"],
)
async def test_login_follows_next_to_a_get_page(
    client: httpx.AsyncClient, people: People, next_url: str
) -> None:
    teacher = await people.teacher()
    response = await log_in(client, teacher.email, next_url)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == next_url


async def test_signed_in_login_page_follows_only_get_pages(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    assert (await log_in(client, teacher.email, "/students")).status_code == 303
    for next_url, expected in (("/students", "/students"), ("/assignments/1/save", "/dashboard")):
        response = await client.get("/auth/login", params={"next": next_url})
        assert response.status_code == 303
        assert response.headers["location"] == expected


# --- the asking side: which `next` a request without a session is given


async def test_get_without_session_comes_back_to_itself(client: httpx.AsyncClient) -> None:
    response = await client.get("/assignments/7", params={"tab": "2"})
    assert next_of(response) == "/assignments/7?tab=2"


async def test_form_post_without_session_comes_back_to_the_page_it_was_posted_from(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/auth/login")  # the CSRF cookie a browser has
    response = await post_form(
        client,
        "/assignments/7/save",
        [("answer.q1", "b")],
        headers={"referer": f"{OWN}/assignments/7?x=1", "origin": OWN},
    )
    assert next_of(response) == "/assignments/7?x=1"


@pytest.mark.parametrize(
    "referer",
    [None, "https://evil.example/assignments/7", "http://testserver.evil.example/x", "garbage"],
)
async def test_form_post_without_session_and_without_own_referer_gets_no_next(
    client: httpx.AsyncClient, referer: str | None
) -> None:
    await client.get("/auth/login")
    headers = {"referer": referer} if referer else {}
    response = await post_form(client, "/assignments/7/save", [("answer.q1", "b")], headers=headers)
    assert next_of(response) is None


async def test_expired_session_form_save_logs_in_back_to_the_player(
    people: People, make_client: Callable[[], httpx.AsyncClient]
) -> None:
    """The reported case over HTTP: a student whose session cookies are gone presses Save;
    after the login the player opens (not a 405 page)."""
    teacher = await people.teacher()
    student = await people.student(teacher)
    teacher_browser, student_browser = make_client(), make_client()
    await browser_login(teacher_browser, teacher.email)
    await browser_login(student_browser, student.email)
    lesson = await api(teacher_browser, "POST", "/api/v1/lessons", json=quiz_lesson())
    assigned = await api(
        teacher_browser,
        "POST",
        "/api/v1/assignments",
        json={"lesson_id": lesson["id"], "student_ids": [student.id]},
    )
    player = f"/assignments/{assigned['assignment_ids'][0]}"
    assert (await student_browser.get(player)).status_code == 200
    csrf = student_browser.cookies[CSRF_COOKIE]
    student_browser.cookies.clear()
    student_browser.cookies.set(CSRF_COOKIE, csrf)  # only the session cookies are gone
    response = await post_form(
        student_browser,
        f"{player}/save",
        [("answer.q1", "b")],
        headers={"referer": f"{OWN}{player}", "origin": OWN},
    )
    next_url = next_of(response)
    assert next_url == player
    logged_in = await log_in(student_browser, student.email, next_url)
    assert logged_in.headers["location"] == player
    assert (await student_browser.get(player)).status_code == 200
