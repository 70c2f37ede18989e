"""Who may call what: every route and every role → the answer it must get.

The matrices list every route the app serves. A new route fails `test_every_*_route_is_listed`
until someone decides, here, who may call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.engine import URL

from app.core.config import Settings
from app.core.cookies import CSRF_COOKIE, CSRF_HEADER
from app.schemas.accounts import StudentRead, TeacherRead
from tests.conftest import PASSWORD, People, login_as, make_settings

ANONYMOUS, SUPERUSER, TEACHER, STUDENT = "anonymous", "superuser", "teacher", "student"
# The order the roles are tried in one test: the allowed role's write (e.g. deactivating the
# student) comes after the refusals, so a refusal is never explained by an earlier success.
ROLE_ORDER = (ANONYMOUS, STUDENT, SUPERUSER, TEACHER)

# What each answer is expected to look like, as `describe_*` renders it.
API_UNAUTHENTICATED = "401 not_authenticated"
API_FORBIDDEN = "403 forbidden"
TO_LOGIN = "303 login"  # to /auth/login?next=<the requested path>
FORBIDDEN_PAGE = "403 page"
# Any answer that lets the caller through: 2xx, 404, 409, 422, or a redirect that is not to login.
ALLOWED = "allowed"
# Ids in paths that name no object (lessons, groups, ...): the allowed role gets a 404.
MISSING_ID = 9_000_000_000


@dataclass(frozen=True)
class Probe:
    """One request per role: `expected` maps each role to the described answer."""

    expected: dict[str, str]
    # A body per role (distinct e-mails, so one role's success cannot change another's answer).
    json: Callable[[str], dict[str, object]] | None = None
    form: Callable[[str], dict[str, str]] | None = None


def empty(role: str) -> dict[str, object]:
    return {}


def empty_form(role: str) -> dict[str, str]:
    return {}


def new_person(role: str) -> dict[str, object]:
    return {
        "email": f"rbac-new-{role}@example.com",
        "password": PASSWORD,
        "name": "New",
        "surname": "Person",
    }


def new_person_form(role: str) -> dict[str, str]:
    return {k: str(v) for k, v in new_person(role).items()}


def expect(
    anonymous: str | int, superuser: str | int, teacher: str | int, student: str | int
) -> dict[str, str]:
    return {
        ANONYMOUS: str(anonymous),
        SUPERUSER: str(superuser),
        TEACHER: str(teacher),
        STUDENT: str(student),
    }


def only(role: str, allowed: str | int) -> dict[str, str]:
    """Anonymous gets 401, the one allowed role `allowed`, everyone else 403."""
    expected = dict.fromkeys(ROLE_ORDER, API_FORBIDDEN)
    expected[ANONYMOUS] = API_UNAUTHENTICATED
    expected[role] = str(allowed)
    return expected


def signed_in(status: str | int) -> dict[str, str]:
    return expect(API_UNAUTHENTICATED, status, status, status)


API_MATRIX: dict[tuple[str, str], Probe] = {
    # Public: anyone may try to log in (an empty body is a validation error for everyone).
    ("POST", "/api/v1/auth/login"): Probe(expect(422, 422, 422, 422), json=empty),
    ("POST", "/api/v1/auth/refresh"): Probe(signed_in(200)),
    ("POST", "/api/v1/auth/logout"): Probe(signed_in(204)),
    ("GET", "/api/v1/users/me"): Probe(signed_in(200)),
    # Account self-service: everyone signed in, on their own account only.
    ("POST", "/api/v1/users/me/password"): Probe(signed_in(422), json=empty),
    ("GET", "/api/v1/users/me/sessions"): Probe(signed_in(200)),
    ("POST", "/api/v1/users/me/sessions/end-others"): Probe(signed_in(200)),
    # Password reset is public; these tests' settings configure no SMTP server: 404 for all.
    ("POST", "/api/v1/auth/password-reset"): Probe(
        expect(404, 404, 404, 404), json=lambda role: {"email": f"rbac-{role}@example.com"}
    ),
    ("POST", "/api/v1/auth/password-reset/confirm"): Probe(
        expect(404, 404, 404, 404), json=lambda _: {"token": "a.b", "new_password": PASSWORD}
    ),
    ("GET", "/api/v1/audit-events"): Probe(expect(API_UNAUTHENTICATED, 200, 200, API_FORBIDDEN)),
    # The superuser's success ends the teacher's logins before the teacher's turn comes, so the
    # teacher meets 401 here (their 403 is in tests/security/test_self_service.py).
    ("POST", "/api/v1/teachers/{teacher_id}/one-time-password"): Probe(
        {**only(SUPERUSER, 200), TEACHER: API_UNAUTHENTICATED}
    ),
    ("POST", "/api/v1/students/{student_id}/one-time-password"): Probe(only(TEACHER, 200)),
    ("GET", "/api/v1/teachers"): Probe(only(SUPERUSER, 200)),
    ("POST", "/api/v1/teachers"): Probe(only(SUPERUSER, 201), json=new_person),
    ("GET", "/api/v1/teachers/{teacher_id}"): Probe(only(SUPERUSER, 200)),
    ("PATCH", "/api/v1/teachers/{teacher_id}"): Probe(
        only(SUPERUSER, 200), json=lambda _: {"name": "Renamed"}
    ),
    ("GET", "/api/v1/students"): Probe(only(TEACHER, 200)),
    ("POST", "/api/v1/students"): Probe(only(TEACHER, 201), json=new_person),
    ("GET", "/api/v1/students/{student_id}"): Probe(only(TEACHER, 200)),
    ("PATCH", "/api/v1/students/{student_id}"): Probe(
        only(TEACHER, 200), json=lambda _: {"name": "Renamed"}
    ),
    ("DELETE", "/api/v1/students/{student_id}"): Probe(only(TEACHER, 200)),
    # The teacher's home as JSON (issue 17).
    ("GET", "/api/v1/teacher/overview"): Probe(only(TEACHER, 200)),
    # LMS: the allowed role gets past the gate to a missing object (404) or an empty body (422).
    ("GET", "/api/v1/lessons"): Probe(only(TEACHER, 200)),
    ("POST", "/api/v1/lessons"): Probe(only(TEACHER, 422), json=empty),
    ("GET", "/api/v1/lessons/{lesson_id}"): Probe(only(TEACHER, 404)),
    ("GET", "/api/v1/lessons/{lesson_id}/preview"): Probe(only(TEACHER, 404)),
    ("PATCH", "/api/v1/lessons/{lesson_id}"): Probe(only(TEACHER, 404), json=empty),
    ("POST", "/api/v1/lessons/{lesson_id}/duplicate"): Probe(only(TEACHER, 404)),
    ("DELETE", "/api/v1/lessons/{lesson_id}"): Probe(only(TEACHER, 404)),
    # Question banks (GIFT, Moodle XML): an empty body is refused before the lesson is looked up.
    ("POST", "/api/v1/lessons/import/preview"): Probe(only(TEACHER, 422), json=empty),
    ("POST", "/api/v1/lessons/import"): Probe(only(TEACHER, 422), json=empty),
    ("POST", "/api/v1/lessons/{lesson_id}/import/preview"): Probe(only(TEACHER, 422), json=empty),
    ("POST", "/api/v1/lessons/{lesson_id}/import"): Probe(only(TEACHER, 422), json=empty),
    ("GET", "/api/v1/lessons/{lesson_id}/export.gift"): Probe(only(TEACHER, 404)),
    ("GET", "/api/v1/folders"): Probe(only(TEACHER, 200)),
    ("POST", "/api/v1/folders"): Probe(only(TEACHER, 422), json=empty),
    ("PATCH", "/api/v1/folders/{folder_id}"): Probe(only(TEACHER, 404), json=empty),
    ("DELETE", "/api/v1/folders/{folder_id}"): Probe(only(TEACHER, 404)),
    ("GET", "/api/v1/groups"): Probe(only(TEACHER, 200)),
    ("POST", "/api/v1/groups"): Probe(only(TEACHER, 422), json=empty),
    ("GET", "/api/v1/groups/{group_id}"): Probe(only(TEACHER, 404)),
    ("PATCH", "/api/v1/groups/{group_id}"): Probe(
        only(TEACHER, 404), json=lambda _: {"name": "Renamed"}
    ),
    ("DELETE", "/api/v1/groups/{group_id}"): Probe(only(TEACHER, 404)),
    ("POST", "/api/v1/groups/{group_id}/members"): Probe(
        only(TEACHER, 404), json=lambda _: {"student_ids": [MISSING_ID]}
    ),
    ("DELETE", "/api/v1/groups/{group_id}/members/{student_id}"): Probe(only(TEACHER, 404)),
    ("GET", "/api/v1/assignments"): Probe(expect(API_UNAUTHENTICATED, API_FORBIDDEN, 200, 200)),
    ("POST", "/api/v1/assignments"): Probe(only(TEACHER, 422), json=empty),
    ("GET", "/api/v1/assignments/{assignment_id}"): Probe(
        expect(API_UNAUTHENTICATED, API_FORBIDDEN, 404, 404)
    ),
    ("PUT", "/api/v1/assignments/{assignment_id}/progress"): Probe(only(STUDENT, 404), json=empty),
    ("POST", "/api/v1/assignments/{assignment_id}/submit"): Probe(only(STUDENT, 404), json=empty),
    ("POST", "/api/v1/assignments/{assignment_id}/attempts"): Probe(only(STUDENT, 404)),
    ("POST", "/api/v1/assignments/{assignment_id}/grade"): Probe(only(TEACHER, 404), json=empty),
    # Due dates and unassigning (issue 17).
    ("PATCH", "/api/v1/assignments/{assignment_id}"): Probe(
        only(TEACHER, 404), json=lambda _: {"due_at": None}
    ),
    ("DELETE", "/api/v1/assignments/{assignment_id}"): Probe(only(TEACHER, 404)),
    ("POST", "/api/v1/lessons/{lesson_id}/due-date"): Probe(
        only(TEACHER, 404), json=lambda _: {"due_at": None}
    ),
}


def page_only(role: str, allowed: str | int) -> dict[str, str]:
    expected = dict.fromkeys(ROLE_ORDER, FORBIDDEN_PAGE)
    expected[ANONYMOUS] = TO_LOGIN
    expected[role] = str(allowed)
    return expected


# Every HTML (non-API) route of the app.
PAGE_MATRIX: dict[tuple[str, str], Probe] = {
    ("GET", "/"): Probe(expect(TO_LOGIN, "303 /dashboard", "303 /dashboard", "303 /dashboard")),
    ("GET", "/dashboard"): Probe(expect(TO_LOGIN, 200, 200, 200)),
    ("GET", "/auth/login"): Probe(
        expect(200, "303 /dashboard", "303 /dashboard", "303 /dashboard")
    ),
    # Empty credentials: the form comes back with the one "invalid e-mail or password" message.
    ("POST", "/auth/login"): Probe(expect(401, 401, 401, 401), form=lambda _: {}),
    ("GET", "/auth/logout"): Probe(expect(TO_LOGIN, 200, 200, 200)),
    ("POST", "/auth/logout"): Probe(
        expect(TO_LOGIN, "303 /auth/login", "303 /auth/login", "303 /auth/login"),
        form=lambda _: {},
    ),
    ("POST", "/language"): Probe(
        expect("303 /dashboard", "303 /dashboard", "303 /dashboard", "303 /dashboard"),
        form=lambda _: {"language": "en"},
    ),
    ("GET", "/healthz"): Probe(expect(200, 200, 200, 200)),
    # The API documentation (public by default) and the Swagger UI files it loads (app/api/docs.py).
    ("GET", "/docs"): Probe(expect(200, 200, 200, 200)),
    ("GET", "/static/vendor/swagger-ui/swagger-ui-bundle.js"): Probe(expect(200, 200, 200, 200)),
    ("GET", "/static/vendor/swagger-ui/swagger-ui.css"): Probe(expect(200, 200, 200, 200)),
    ("GET", "/static/vendor/swagger-ui/favicon-32x32.png"): Probe(expect(200, 200, 200, 200)),
    # The own account, for every role; the audit log for the superuser and teachers.
    ("GET", "/account"): Probe(expect(TO_LOGIN, 200, 200, 200)),
    ("POST", "/account/sessions/end-others"): Probe(
        expect(TO_LOGIN, "303 /account", "303 /account", "303 /account"), form=empty_form
    ),
    ("GET", "/account/password"): Probe(expect(TO_LOGIN, 200, 200, 200)),
    ("POST", "/account/password"): Probe(expect(TO_LOGIN, 422, 422, 422), form=empty_form),
    ("GET", "/audit"): Probe(expect(TO_LOGIN, 200, 200, FORBIDDEN_PAGE)),
    # Password reset pages: public, and unavailable without an SMTP server (these settings).
    ("GET", "/auth/reset"): Probe(expect(404, 404, 404, 404)),
    ("POST", "/auth/reset"): Probe(expect(404, 404, 404, 404), form=empty_form),
    ("GET", "/auth/reset/{token}"): Probe(expect(404, 404, 404, 404)),
    ("POST", "/auth/reset/{token}"): Probe(expect(404, 404, 404, 404), form=empty_form),
    # As in the API matrix: the superuser's success has ended the teacher's logins by then.
    ("POST", "/superuser/teachers/{teacher_id}/one-time-password"): Probe(
        {**page_only(SUPERUSER, 200), TEACHER: TO_LOGIN}, form=empty_form
    ),
    ("POST", "/students/{student_id}/one-time-password"): Probe(
        page_only(TEACHER, 200), form=empty_form
    ),
    ("GET", "/readyz"): Probe(expect(200, 200, 200, 200)),
    ("GET", "/superuser/teachers"): Probe(page_only(SUPERUSER, 200)),
    ("GET", "/superuser/create-teacher"): Probe(page_only(SUPERUSER, 200)),
    ("POST", "/superuser/create-teacher"): Probe(
        page_only(SUPERUSER, "303 /superuser/teachers"), form=new_person_form
    ),
    ("GET", "/superuser/teachers/{teacher_id}/edit"): Probe(page_only(SUPERUSER, 200)),
    ("POST", "/superuser/teachers/{teacher_id}/edit"): Probe(
        page_only(SUPERUSER, "303 /superuser/teachers"),
        form=lambda _: {"name": "Renamed", "is_active": "on"},
    ),
    ("GET", "/students"): Probe(page_only(TEACHER, 200)),
    ("GET", "/students/new"): Probe(page_only(TEACHER, 200)),
    ("POST", "/students/new"): Probe(page_only(TEACHER, "303 /students"), form=new_person_form),
    # LMS pages: teacher only. Ids name no object, so the teacher gets the 404 page; an empty
    # form may be answered before the lookup (422, or 303 back with a message): ALLOWED.
    ("GET", "/lessons"): Probe(page_only(TEACHER, 200)),
    ("GET", "/lessons/new"): Probe(page_only(TEACHER, 200)),
    ("POST", "/lessons/new"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("POST", "/folders"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("POST", "/folders/{folder_id}/delete"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("GET", "/lessons/{lesson_id}/edit"): Probe(page_only(TEACHER, 404)),
    ("POST", "/lessons/{lesson_id}/settings"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("POST", "/lessons/{lesson_id}/blocks"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("POST", "/lessons/{lesson_id}/blocks/{block_id}"): Probe(
        page_only(TEACHER, ALLOWED), form=empty_form
    ),
    ("POST", "/lessons/{lesson_id}/blocks/{block_id}/move"): Probe(
        page_only(TEACHER, ALLOWED), form=empty_form
    ),
    ("POST", "/lessons/{lesson_id}/blocks/{block_id}/delete"): Probe(
        page_only(TEACHER, ALLOWED), form=empty_form
    ),
    ("POST", "/lessons/{lesson_id}/duplicate"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("POST", "/lessons/{lesson_id}/delete"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("GET", "/lessons/{lesson_id}/preview"): Probe(page_only(TEACHER, 404)),
    ("GET", "/lessons/{lesson_id}/assign"): Probe(page_only(TEACHER, 404)),
    ("POST", "/lessons/{lesson_id}/assign"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("GET", "/lessons/import"): Probe(page_only(TEACHER, 200)),
    ("POST", "/lessons/import/preview"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("POST", "/lessons/import"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("GET", "/lessons/{lesson_id}/import"): Probe(page_only(TEACHER, 404)),
    ("POST", "/lessons/{lesson_id}/import/preview"): Probe(
        page_only(TEACHER, ALLOWED), form=empty_form
    ),
    ("POST", "/lessons/{lesson_id}/import"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("GET", "/lessons/{lesson_id}/export.gift"): Probe(page_only(TEACHER, 404)),
    ("POST", "/lessons/{lesson_id}/assign/due-date"): Probe(
        page_only(TEACHER, ALLOWED), form=empty_form
    ),
    ("POST", "/lessons/{lesson_id}/assign/{assignment_id}/unassign"): Probe(
        page_only(TEACHER, ALLOWED), form=empty_form
    ),
    ("GET", "/groups"): Probe(page_only(TEACHER, 200)),
    ("POST", "/groups"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("GET", "/groups/{group_id}"): Probe(page_only(TEACHER, 404)),
    ("POST", "/groups/{group_id}/rename"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("POST", "/groups/{group_id}/members"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    ("POST", "/groups/{group_id}/members/{student_id}/remove"): Probe(
        page_only(TEACHER, ALLOWED), form=empty_form
    ),
    ("POST", "/groups/{group_id}/delete"): Probe(page_only(TEACHER, ALLOWED), form=empty_form),
    # Assignments: the student works on them, the teacher reviews and grades.
    ("GET", "/assignments/{assignment_id}"): Probe(page_only(STUDENT, 404)),
    ("POST", "/assignments/{assignment_id}/save"): Probe(
        page_only(STUDENT, ALLOWED), form=empty_form
    ),
    ("POST", "/assignments/{assignment_id}/submit"): Probe(
        page_only(STUDENT, ALLOWED), form=empty_form
    ),
    ("POST", "/assignments/{assignment_id}/attempts"): Probe(
        page_only(STUDENT, ALLOWED), form=empty_form
    ),
    ("GET", "/assignments/{assignment_id}/attempts/new"): Probe(page_only(STUDENT, 404)),
    ("GET", "/assignments/{assignment_id}/attempts/{attempt_no}"): Probe(page_only(STUDENT, 404)),
    ("GET", "/grading"): Probe(page_only(TEACHER, 200)),
    ("GET", "/assignments/{assignment_id}/review"): Probe(page_only(TEACHER, 404)),
    ("POST", "/assignments/{assignment_id}/grade"): Probe(
        page_only(TEACHER, ALLOWED), form=empty_form
    ),
    ("GET", "/students/{student_id}"): Probe(page_only(TEACHER, 200)),
    ("GET", "/students/{student_id}/edit"): Probe(page_only(TEACHER, 200)),
    ("POST", "/students/{student_id}/edit"): Probe(
        page_only(TEACHER, "303 /students"),
        form=lambda _: {"name": "Renamed", "is_active": "on"},
    ),
}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every FastAPI route, with the prefixes routers were included under."""
    routes: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path is not None:
            routes.update((method, context.path) for method in context.methods or ())
    return routes


@dataclass
class World:
    teacher: TeacherRead
    student: StudentRead
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return path.format(
            teacher_id=self.teacher.id,
            student_id=self.student.id,
            lesson_id=MISSING_ID,
            folder_id=MISSING_ID,
            group_id=MISSING_ID,
            assignment_id=MISSING_ID,
            attempt_no=1,
            block_id="missing",
            token="missing",
        )


@pytest.fixture(scope="session")
def settings(owner_url: URL) -> Settings:
    """Overrides the shared fixture for this module: each of its tests logs in three people and
    creates a few more, and what it checks does not depend on how slow Argon2 is."""
    return make_settings(owner_url, argon2_memory_cost=1024, argon2_time_cost=1)


@pytest.fixture
async def world(people: People, make_client: Callable[[], httpx.AsyncClient]) -> World:
    superuser_email = await people.superuser()
    teacher = await people.teacher()
    student = await people.student(teacher)
    world = World(teacher=teacher, student=student)
    anonymous = make_client()
    # An anonymous browser has a CSRF cookie from the login page, so its form posts to public
    # paths reach the route (the CSRF check itself is tested elsewhere).
    await anonymous.get("/auth/login")
    anonymous.headers[CSRF_HEADER] = anonymous.cookies[CSRF_COOKIE]
    world.clients[ANONYMOUS] = anonymous
    for role, email in (
        (SUPERUSER, superuser_email),
        (TEACHER, teacher.email),
        (STUDENT, student.email),
    ):
        world.clients[role] = make_client()
        await login_as(world.clients[role], email)
    return world


def describe_api(response: httpx.Response) -> str:
    if response.status_code in (401, 403):
        # The code tells a role refusal from, say, a CSRF refusal.
        return f"{response.status_code} {response.json().get('code')}"
    return str(response.status_code)


def describe_page(response: httpx.Response, requested_path: str) -> str:
    if response.status_code in (302, 303, 307):
        location = urlsplit(response.headers["location"])
        if location.path == "/auth/login" and location.query:
            next_path = parse_qs(location.query).get("next", [""])[0]
            return TO_LOGIN if next_path == requested_path else f"303 login next={next_path}"
        return f"{response.status_code} {location.path}"
    if response.status_code == 403:
        is_page = response.headers.get("content-type", "").startswith("text/html")
        return FORBIDDEN_PAGE if is_page and "403" in response.text else f"403 {response.text}"
    return str(response.status_code)


def is_allowed(answer: str) -> bool:
    status = answer.split()[0]
    if status.startswith("2") or status in ("404", "409", "422"):
        return True
    return status == "303" and answer != TO_LOGIN and not answer.startswith("303 login")


def compared(answers: dict[str, str], expected: dict[str, str]) -> dict[str, str]:
    """`answers`, with each answer to an ALLOWED expectation replaced by ALLOWED if it is one."""
    return {
        role: ALLOWED if expected[role] == ALLOWED and is_allowed(answer) else answer
        for role, answer in answers.items()
    }


async def send(world: World, role: str, method: str, path: str, probe: Probe) -> httpx.Response:
    client = world.clients[role]
    url = world.url(path)
    # As a browser does, a form is posted from a page, named in the Referer: a POST without a
    # session is sent to the login with that page as `next` (a GET page to come back to).
    headers = {} if method == "GET" else {"referer": str(client.base_url.join(url))}
    return await client.request(
        method,
        url,
        json=probe.json(role) if probe.json else None,
        data=probe.form(role) if probe.form else None,
        headers=headers,
    )


def _ids(routes: list[tuple[str, str]]) -> list[str]:
    return [f"{method} {path}" for method, path in routes]


async def test_every_api_route_is_listed(app: FastAPI) -> None:
    served = {route for route in app_routes(app) if route[1].startswith("/api/v1/")}
    assert served - set(API_MATRIX) == set(), "add these routes to API_MATRIX"
    assert set(API_MATRIX) - served == set(), "API_MATRIX lists routes the app does not serve"


async def test_every_page_route_is_listed(app: FastAPI) -> None:
    served = {route for route in app_routes(app) if not route[1].startswith("/api/")}
    assert served - set(PAGE_MATRIX) == set(), "add these routes to PAGE_MATRIX"
    assert set(PAGE_MATRIX) - served == set(), "PAGE_MATRIX lists routes the app does not serve"


@pytest.mark.parametrize(("method", "path"), sorted(API_MATRIX), ids=_ids(sorted(API_MATRIX)))
async def test_api_route_answers_each_role(world: World, method: str, path: str) -> None:
    probe = API_MATRIX[(method, path)]
    answers = {}
    for role in ROLE_ORDER:
        response = await send(world, role, method, path, probe)
        answers[role] = describe_api(response)
        if response.status_code == 401:
            assert response.headers.get("www-authenticate") == "Bearer"
    assert compared(answers, probe.expected) == probe.expected


@pytest.mark.parametrize(("method", "path"), sorted(PAGE_MATRIX), ids=_ids(sorted(PAGE_MATRIX)))
async def test_page_answers_each_role(world: World, method: str, path: str) -> None:
    probe = PAGE_MATRIX[(method, path)]
    answers = {}
    for role in ROLE_ORDER:
        response = await send(world, role, method, path, probe)
        answers[role] = describe_page(response, world.url(path))
    assert compared(answers, probe.expected) == probe.expected


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (TEACHER, "/api/v1/teachers"),
        (STUDENT, "/api/v1/teachers"),
        (SUPERUSER, "/api/v1/students"),
        (STUDENT, "/api/v1/students"),
    ],
)
async def test_wrong_role_is_refused_before_the_email_is_checked(
    world: World, role: str, path: str
) -> None:
    """A 409 here would tell a caller who may not create anyone which e-mails exist."""
    body = {**new_person(role), "email": world.teacher.email.upper()}
    response = await world.clients[role].post(path, json=body)
    assert describe_api(response) == API_FORBIDDEN, response.text


@pytest.mark.parametrize(("role", "path"), [(TEACHER, "/api/v1/teachers")])
async def test_wrong_role_is_refused_before_the_body_is_validated(
    world: World, role: str, path: str
) -> None:
    response = await world.clients[role].post(path, json={"email": "not an e-mail"})
    assert describe_api(response) == API_FORBIDDEN, response.text


# Routes with ids in the path, the role allowed through, and the id parameters' names.
ID_ROUTES = [
    (method, path, role)
    for (method, path), probe in sorted(API_MATRIX.items())
    if "_id}" in path
    for role in ROLE_ORDER
    if probe.expected[role] not in (API_UNAUTHENTICATED, API_FORBIDDEN)
] + [
    (method, path, role)
    for (method, path), probe in sorted(PAGE_MATRIX.items())
    if path.startswith(("/superuser/", "/students/")) and "_id}" in path
    for role in ROLE_ORDER
    if probe.expected[role] not in (TO_LOGIN, FORBIDDEN_PAGE)
]


@pytest.mark.parametrize(
    ("method", "path", "role"),
    ID_ROUTES,
    ids=[f"{method} {path} as {role}" for method, path, role in ID_ROUTES],
)
async def test_ids_beyond_bigint_are_a_422_naming_the_parameter(
    world: World, method: str, path: str, role: str
) -> None:
    """Ids are bigint: a larger number must be refused up front, not crash the driver (500)."""
    probe = API_MATRIX.get((method, path)) or PAGE_MATRIX[(method, path)]
    names = [part[1:-1] for part in path.split("/") if part.startswith("{") and "_id" in part]
    too_big = path.format(**dict.fromkeys(names, 2**63), block_id="missing")
    response = await world.clients[role].request(
        method,
        too_big,
        json=probe.json(role) if probe.json else None,
        data=probe.form(role) if probe.form else None,
    )
    assert response.status_code == 422, response.text
    if not path.startswith("/api/"):
        return  # a page: the error page, in the person's language
    fields = [error["field"] for error in response.json()["errors"]]
    for name in names:
        assert name in fields
