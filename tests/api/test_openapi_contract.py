"""The API keeps the contract its /openapi.json states: schemathesis generates requests for
every operation, as a teacher and as a student (real login cookies, the CSRF header), against
the real server (`python -m app.manage serve`, as the browser journeys start it) on a fresh
database, seeded through the API so that ids exist. Every answer must be no 5xx, a documented
status, the documented content type and a body that matches the documented schema.

Excluded from generation, because a generated call would end the very login the run uses:
- `POST /api/v1/auth/logout` (ends the session; every later case would be a 401).
Everything else runs, `POST /api/v1/auth/refresh` included: the cookie jar follows its token
rotation and the CSRF header is read from the jar on every call.

Loopback only: the server listens on 127.0.0.1 and the schema has no remote references.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from app.core.cookies import ACCESS_COOKIE, CSRF_COOKIE, CSRF_HEADER
from tests.e2e.conftest import (  # noqa: F401 - `live_app` (and what it needs) are fixtures used by name
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CREATE_ADMIN,
    LiveApp,
    live_app,
    live_app_env,
)
from tests.lms.helpers import full_lesson, quiz_lesson

# Examples per operation and generation mode: the whole contract test stays around a minute
# (two roles, ~45 operations, positive and negative: ~2,400 requests).
MAX_EXAMPLES = 15
REPORT_CHARACTERS = 4000
EXCLUDED = re.compile(r"^/api/v1/auth/logout$")
PASSWORD = "Contract-Pass-42!"


@dataclass
class Seeded:
    """Ids that exist, so generated cases reach the routes' logic and not only their 404."""

    ids: dict[str, int]
    sessions: dict[str, requests.Session]


def _session(app: LiveApp, email: str, password: str) -> requests.Session:
    session = requests.Session()
    response = session.post(
        app.url("/api/v1/auth/login"), json={"email": email, "password": password}, timeout=30
    )
    assert response.status_code == 200, response.text
    return session


def _created(session: requests.Session, app: LiveApp, path: str, body: dict[str, Any]) -> Any:
    response = session.post(
        app.url(path),
        json=body,
        headers={CSRF_HEADER: str(session.cookies[CSRF_COOKIE])},
        timeout=30,
    )
    assert response.status_code in (200, 201), (path, response.text)
    return response.json()


@pytest.fixture(scope="module")
def seeded(live_app: LiveApp) -> Seeded:  # noqa: F811 - the fixture imported above
    made = live_app.manage(*CREATE_ADMIN)
    assert made.returncode == 0, made.stderr
    admin = _session(live_app, ADMIN_EMAIL, ADMIN_PASSWORD)
    person = {"password": PASSWORD, "name": "Anna", "surname": "Orlova"}
    teacher = _created(
        admin, live_app, "/api/v1/teachers", {**person, "email": "contract.teacher@test.com"}
    )
    teacher_session = _session(live_app, "contract.teacher@test.com", PASSWORD)
    student = _created(
        teacher_session,
        live_app,
        "/api/v1/students",
        {**person, "email": "contract.student@test.com"},
    )
    folder = _created(teacher_session, live_app, "/api/v1/folders", {"name": "Grammar"})
    lesson = _created(
        teacher_session, live_app, "/api/v1/lessons", quiz_lesson(folder_id=folder["id"])
    )
    other = _created(teacher_session, live_app, "/api/v1/lessons", full_lesson())
    group = _created(
        teacher_session,
        live_app,
        "/api/v1/groups",
        {"name": "Morning", "student_ids": [student["id"]]},
    )
    assigned = _created(
        teacher_session,
        live_app,
        "/api/v1/assignments",
        {"lesson_id": other["id"], "student_ids": [student["id"]]},
    )
    _created(
        teacher_session,
        live_app,
        "/api/v1/assignments",
        {"lesson_id": lesson["id"], "group_ids": [group["id"]]},
    )
    # Both logins before any generated call: generated failed logins may throttle new ones.
    student_session = _session(live_app, "contract.student@test.com", PASSWORD)
    ids = {
        "teacher_id": teacher["id"],
        "student_id": student["id"],
        "folder_id": folder["id"],
        "parent_id": folder["id"],
        "lesson_id": lesson["id"],
        "group_id": group["id"],
        "assignment_id": assigned["assignment_ids"][0],
    }
    return Seeded(ids=ids, sessions={"teacher": teacher_session, "student": student_session})


def _with_seeded_ids(value: Any, ids: dict[str, int]) -> Any:
    """`value` with every id it names by a known name replaced by a seeded one."""
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if key in ids and isinstance(item, int):
                result[key] = ids[key]
            elif key.endswith("_ids") and key[:-1] in ids and isinstance(item, list):
                result[key] = [ids[key[:-1]]]
            else:
                result[key] = _with_seeded_ids(item, ids)
        return result
    return value


def login_auth(session: requests.Session) -> type:
    """The role's real login as schemathesis' auth provider (it instantiates the class): the
    access cookie, the `csrftoken` cookie and the CSRF header equal to it, as a browser sends
    them. As auth, not as plain cookies, so its `ignored_auth` check knows what to take away
    to see the 401.

    Not the refresh cookie: a generated refresh would rotate it, and replaying the old one
    later reads as theft and ends the login; and without an access token it would renew the
    session and hide the 401 that `ignored_auth` expects.
    """
    cookies = {name: str(session.cookies[name]) for name in (ACCESS_COOKIE, CSRF_COOKIE)}

    class LoginCookies:
        def get(self, case: Any, context: Any) -> dict[str, str]:
            return cookies

        def set(self, case: Any, data: dict[str, str], context: Any) -> None:
            case.cookies = {**(case.cookies or {}), **data}
            case.headers = {**(case.headers or {}), CSRF_HEADER: data[CSRF_COOKIE]}

    return LoginCookies


@pytest.fixture(scope="module")
def contract_schemas(live_app: LiveApp, seeded: Seeded) -> dict[str, Any]:  # noqa: F811
    """The served /openapi.json, once per role, each with that role's login."""
    config = SchemathesisConfig.from_dict(
        {
            # The login is the auth provider's: negative cases break the inputs, not the cookie
            # (`ignored_auth` checks every operation without it).
            "generation": {"max-examples": MAX_EXAMPLES, "with-security-parameters": False},
            "checks": {
                # Schema-valid is not always valid: a password policy, "the correct answer is
                # one of the options", a known time zone are checked by the schemas in code
                # and answered with a 422 naming the field; every other status stays expected.
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 422, 429]
                },
                # A body over the limit is refused unread, before it could be found invalid.
                "negative_data_rejection": {
                    "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 429]
                },
            },
        }
    )
    schemas = {}
    for role, session in seeded.sessions.items():
        loaded = schemathesis.openapi.from_url(live_app.url("/openapi.json"), config=config)
        schema = loaded.exclude(path_regex=EXCLUDED.pattern)
        # No re-login on a 401: generated failed logins and bogus refreshes answer 401 by design.
        schema.auth.auth(refresh_interval=None, retry_on=[])(login_auth(session))

        # Half of the generated cases use the seeded ids, in the path and in bodies.
        @schema.hook
        def before_generate_path_parameters(context: Any, strategy: Any) -> Any:
            return st.one_of(strategy, strategy.map(lambda v: _with_seeded_ids(v, seeded.ids)))

        @schema.hook
        def before_generate_body(context: Any, strategy: Any) -> Any:
            return st.one_of(strategy, strategy.map(lambda v: _with_seeded_ids(v, seeded.ids)))

        schemas[role] = schema
    return schemas


SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)


def _check_operation(
    operation: Any, mode: GenerationMode, app: LiveApp, statuses: Counter[int]
) -> str | None:
    """Run the generated cases of one operation; the first failure's report, or None."""

    @SETTINGS
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        statuses[case.call_and_validate(base_url=app.base_url).status_code] += 1

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # Nothing to generate in this mode (no parameters to break, say): no case to check.
        return None
    except (Exception, BaseExceptionGroup) as error:  # schemathesis' FailureGroup is the latter
        # The report quotes the request, which may be megabytes of generated body.
        return f"{operation.label} [{mode.value}]: {str(error)[:REPORT_CHARACTERS]}"
    return None


@pytest.mark.parametrize("role", ["student", "teacher"])  # the student first: the teacher's
def test_api_keeps_its_contract(  # cases may deactivate that student
    role: str,
    live_app: LiveApp,  # noqa: F811
    seeded: Seeded,
    contract_schemas: dict[str, Any],
) -> None:
    failures = []
    statuses: Counter[int] = Counter()
    for result in contract_schemas[role].get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _check_operation(operation, mode, live_app, statuses)
            if failure is not None:
                failures.append(failure)
    print(f"{role}: {sum(statuses.values())} requests, by status {sorted(statuses.items())}")
    # The login the run used is still valid: the run tested the routes, not a logged-out API.
    me = seeded.sessions[role].get(live_app.url("/api/v1/users/me"), timeout=30)
    assert me.status_code == 200, me.text
    assert not failures, f"{len(failures)} operations broke the contract:\n\n" + "\n\n".join(
        failures
    )
