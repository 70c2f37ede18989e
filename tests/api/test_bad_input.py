"""Input PostgreSQL or JSON cannot hold — NUL, an unpaired surrogate, an infinity or NaN — in any
field of any JSON body, query or page form is a 422 naming the field, never a 5xx, and nothing
is stored. The JSON routes are walked from the OpenAPI schema: a new route with a body fails
here until it has a valid body below, and every leaf of that body is then spoiled in turn."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import URL

from app.core.actor import Actor
from app.core.config import Settings
from app.core.cookies import CSRF_COOKIE, CSRF_HEADER
from app.core.database import Database
from app.schemas.common import MAX_STR, RequestModel
from tests.conftest import PASSWORD, People, login_as, make_settings
from tests.lms.helpers import (
    ClientFactory,
    Json,
    assign_one,
    create_lesson,
    full_lesson,
    ok,
)

# Raw JSON text: httpx's `json=` cannot write NaN or an infinity, nor a lone surrogate.
BAD_VALUES = {
    "nul": '"a\\u0000b"',
    "surrogate": '"x\\ud800y"',
    "overflow": "1e400",
    "nan": "NaN",
    "minus_infinity": "-Infinity",
}
PLACEHOLDER = "__spoiled__"
NUL_KEY = "k\u0000"
TEXT_CHARACTERS = "Text may not contain NUL characters or unpaired surrogates"


@pytest.fixture(scope="session")
def settings(owner_url: URL) -> Settings:
    """Cheap password hashing: these tests create and log in several people."""
    return make_settings(owner_url, argon2_memory_cost=1024, argon2_time_cost=1)


@dataclass
class World:
    """A teacher's classroom with one of everything, and a client for each role."""

    clients: dict[str, httpx.AsyncClient]
    ids: dict[str, int]
    student_email: str

    def url(self, path: str) -> str:
        return path.format(**self.ids)


@pytest.fixture
async def world(people: People, make_client: ClientFactory) -> World:
    teacher = await people.teacher()
    student = await people.student(teacher)
    clients = {role: make_client() for role in ("anonymous", "superuser", "teacher", "student")}
    await login_as(clients["superuser"], await people.superuser())
    await login_as(clients["teacher"], teacher.email)
    await login_as(clients["student"], student.email)
    # The anonymous client too carries the CSRF cookie the first answer sets, as a browser does.
    await clients["anonymous"].get("/auth/login")
    clients["anonymous"].headers[CSRF_HEADER] = clients["anonymous"].cookies[CSRF_COOKIE]
    for client in clients.values():
        client.cookies.set("lang", "en")
    teacher_client = clients["teacher"]
    lesson = await create_lesson(teacher_client, full_lesson())
    folder = await ok(await teacher_client.post("/api/v1/folders", json={"name": "F"}), 201)
    group = await ok(
        await teacher_client.post("/api/v1/groups", json={"name": "G", "student_ids": []}), 201
    )
    assignment_id = await assign_one(teacher_client, lesson["id"], student.id)
    ids = {
        "teacher_id": teacher.id,
        "student_id": student.id,
        "lesson_id": lesson["id"],
        "folder_id": folder["id"],
        "group_id": group["id"],
        "assignment_id": assignment_id,
        "lesson_version": lesson["version"],
    }
    return World(clients=clients, ids=ids, student_email=student.email)


def _person(w: World, *, update: bool) -> Json:
    body: Json = {
        "email": "new.person@example.com",
        "password": PASSWORD,
        "name": "Nina",
        "surname": "New",
        "second_name": "Ivanovna",
        "birthday": "2001-02-03",
        "timezone": "Asia/Yekaterinburg",
        "language": "en",
    }
    return {**body, "is_active": True} if update else body


ANSWERS: Json = {"sa": "Paris", "num": 3.5, "mc": ["m2", "m5"], "mat": {"p1": "p1"}}

# (method, path) → (who calls, a valid body using every field of the schema).
GIFT_SOURCE = "::Q:: Вода мокрая? {T}"
BODIES: dict[tuple[str, str], tuple[str, Callable[[World], Json]]] = {
    ("POST", "/api/v1/auth/login"): (
        "anonymous",
        lambda w: {"email": w.student_email, "password": PASSWORD},
    ),
    ("POST", "/api/v1/auth/password-reset"): ("anonymous", lambda w: {"email": w.student_email}),
    ("POST", "/api/v1/auth/password-reset/confirm"): (
        "anonymous",
        lambda w: {"token": "a-reset-token", "new_password": "Another-Horse-43!"},
    ),
    ("POST", "/api/v1/users/me/password"): (
        "student",
        lambda w: {"current_password": PASSWORD, "new_password": "Another-Horse-43!"},
    ),
    ("POST", "/api/v1/students"): ("teacher", lambda w: _person(w, update=False)),
    ("PATCH", "/api/v1/students/{student_id}"): ("teacher", lambda w: _person(w, update=True)),
    ("POST", "/api/v1/teachers"): ("superuser", lambda w: _person(w, update=False)),
    ("PATCH", "/api/v1/teachers/{teacher_id}"): ("superuser", lambda w: _person(w, update=True)),
    ("POST", "/api/v1/lessons"): (
        "teacher",
        lambda w: full_lesson(
            subject="Maths",
            tags=["algebra"],
            folder_id=w.ids["folder_id"],
            attempt_limit=3,
            time_limit_minutes=30,
            shuffle_options=True,
            counted_attempt="last",
        ),
    ),
    ("PATCH", "/api/v1/lessons/{lesson_id}"): (
        "teacher",
        lambda w: {
            **full_lesson(subject="Maths", tags=["algebra"], folder_id=w.ids["folder_id"]),
            "attempt_limit": 3,
            "time_limit_minutes": 30,
            "shuffle_options": True,
            "counted_attempt": "first",
            "base_updated_at": "2030-01-01T10:00:00+03:00",
        },
    ),
    ("POST", "/api/v1/lessons/import/preview"): (
        "teacher",
        lambda w: {"format": "gift", "source": GIFT_SOURCE},
    ),
    ("POST", "/api/v1/lessons/{lesson_id}/import/preview"): (
        "teacher",
        lambda w: {"format": "gift", "source": GIFT_SOURCE},
    ),
    ("POST", "/api/v1/lessons/import"): (
        "teacher",
        lambda w: {
            "format": "gift",
            "source": GIFT_SOURCE,
            "title": "Imported",
            "folder_id": w.ids["folder_id"],
        },
    ),
    ("POST", "/api/v1/lessons/{lesson_id}/import"): (
        "teacher",
        lambda w: {
            "format": "gift",
            "source": GIFT_SOURCE,
            "base_updated_at": "2030-01-01T10:00:00+03:00",
        },
    ),
    ("POST", "/api/v1/lessons/{lesson_id}/duplicate"): ("teacher", lambda w: {"title": "Copy"}),
    ("POST", "/api/v1/folders"): (
        "teacher",
        lambda w: {"name": "Sub", "parent_id": w.ids["folder_id"]},
    ),
    ("PATCH", "/api/v1/folders/{folder_id}"): (
        "teacher",
        lambda w: {"name": "Renamed", "parent_id": w.ids["folder_id"]},
    ),
    ("POST", "/api/v1/groups"): (
        "teacher",
        lambda w: {"name": "Group", "student_ids": [w.ids["student_id"]]},
    ),
    ("PATCH", "/api/v1/groups/{group_id}"): ("teacher", lambda w: {"name": "Renamed"}),
    ("POST", "/api/v1/groups/{group_id}/members"): (
        "teacher",
        lambda w: {"student_ids": [w.ids["student_id"]]},
    ),
    ("POST", "/api/v1/assignments"): (
        "teacher",
        lambda w: {
            "lesson_id": w.ids["lesson_id"],
            "student_ids": [w.ids["student_id"]],
            "group_ids": [w.ids["group_id"]],
            "due_at": "2030-01-01T10:00:00+03:00",
            "allow_past": False,
            "update_due_at": True,
        },
    ),
    ("PATCH", "/api/v1/assignments/{assignment_id}"): (
        "teacher",
        lambda w: {"due_at": "2030-01-01T10:00:00+03:00", "allow_past": False},
    ),
    ("POST", "/api/v1/lessons/{lesson_id}/due-date"): (
        "teacher",
        lambda w: {"due_at": "2030-01-01T10:00:00+03:00", "allow_past": False},
    ),
    ("PUT", "/api/v1/assignments/{assignment_id}/progress"): (
        "student",
        lambda w: {"answers": ANSWERS, "blocks_viewed": ["intro", "sc"], "time_spent_seconds": 60},
    ),
    ("POST", "/api/v1/assignments/{assignment_id}/submit"): (
        "student",
        lambda w: {"answers": ANSWERS, "attempt_no": 1, "time_spent_seconds": 60},
    ),
    ("POST", "/api/v1/assignments/{assignment_id}/grade"): (
        "teacher",
        lambda w: {
            "scores": {"es": 4.5},
            "feedback": "Well done",
            "show_correct_answers": True,
            "attempt_no": 1,
        },
    ),
}


def body_operations(app: FastAPI) -> dict[tuple[str, str], str]:
    """Every JSON route that takes a body, and its schema's name."""
    operations = {}
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                ref = content["application/json"]["schema"]["$ref"]
                operations[(method.upper(), path)] = ref.rsplit("/", 1)[-1]
    return operations


def request_models() -> dict[str, type[RequestModel]]:
    found: dict[str, type[RequestModel]] = {}
    pending: list[type[RequestModel]] = [RequestModel]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found[subclass.__name__] = subclass
            pending.append(subclass)
    return found


Path = tuple[str | int, ...]


def leaves(value: Any, path: Path = ()) -> Iterator[Path]:
    """The place of every string and number inside a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        yield path


def objects(value: Any, path: Path = ()) -> Iterator[Path]:
    """The place of every JSON object inside a value (the body itself first)."""
    if isinstance(value, dict):
        yield path
        for key, item in value.items():
            yield from objects(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from objects(item, (*path, index))


def spoiled(body: Json, path: Path, raw: str) -> str:
    """`body` as JSON text with the value at `path` replaced by the raw JSON `raw`."""
    copy = json.loads(json.dumps(body))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = PLACEHOLDER
    return json.dumps(copy).replace(f'"{PLACEHOLDER}"', raw)


def field_name(path: Path) -> str:
    """The name a message about `path` must mention: its last named part."""
    return next(str(part) for part in reversed(path) if isinstance(part, str))


async def table_digests(database: Database) -> dict[str, str]:
    """Every public table's content, as one hash each (the system actor sees every row)."""
    async with database.transaction(Actor.system()) as session:
        tables = (
            await session.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
                    " AND NOT c.relispartition AND has_table_privilege(c.oid, 'SELECT')"
                    " ORDER BY 1"
                )
            )
        ).scalars()
        digests = {}
        for table in list(tables):
            # The table names come from the catalog, not from input.
            query = (
                "SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), ''))"
                f' FROM "{table}" t'
            )
            digests[table] = str((await session.execute(text(query))).scalar_one())
        return digests


def refused(response: httpx.Response, name: str) -> str | None:
    """Why a response is not the 422 naming `name` it should be (None when it is)."""
    if response.status_code != 422:
        return f"{response.status_code}: {response.text[:300]}"
    if name not in response.text:
        return f"422 without {name!r}: {response.text[:300]}"
    return None


PLACEHOLDER_IDS = (
    "teacher_id",
    "student_id",
    "lesson_id",
    "folder_id",
    "group_id",
    "assignment_id",
    "lesson_version",
)


def test_every_json_body_route_has_a_valid_body_using_every_field(app: FastAPI) -> None:
    operations = body_operations(app)
    assert set(operations) == set(BODIES), "add the new route's valid body to BODIES"
    models = request_models()
    schemas = app.openapi()["components"]["schemas"]
    for key, schema_name in operations.items():
        _, make = BODIES[key]
        ids = dict.fromkeys(PLACEHOLDER_IDS, 1)
        body = make(World(clients={}, ids=ids, student_email="a@b.c"))
        assert set(body) == set(schemas[schema_name]["properties"]), key
        if schema_name in models:  # FastAPI's own model of a bare body parameter is not
            models[schema_name].model_validate(body)


def test_every_request_schema_limits_its_strings_and_integers(app: FastAPI) -> None:
    """No string without a maximum length, no integer without a maximum (bigint ids)."""
    schemas = app.openapi()["components"]["schemas"]
    request_schemas = set(body_operations(app).values())
    # And every schema they refer to.
    pending = list(request_schemas)
    while pending:
        for ref in _refs(schemas[pending.pop()]):
            if ref not in request_schemas:
                request_schemas.add(ref)
                pending.append(ref)
    unlimited = [
        f"{name}{where}"
        for name in sorted(request_schemas)
        for where, node in _nodes(schemas[name])
        if _unlimited(node, _number_strings(schemas[name]))
    ]
    assert not unlimited


def _unlimited(node: dict[str, Any], number_strings: set[int]) -> bool:
    if node.get("type") == "integer":
        return "maximum" not in node
    if node.get("type") != "string" or id(node) in number_strings:
        return False
    bounded = ("maxLength", "enum", "const")
    return not any(key in node for key in bounded) and node.get("format") not in (
        "date-time",
        "date",
    )


def _number_strings(schema: Any) -> set[int]:
    """A decimal's string form (`anyOf: [number, string]`): its digits are what is limited."""
    found: set[int] = set()
    for _, node in _nodes(schema):
        options = node.get("anyOf", [])
        if any(option.get("type") == "number" for option in options):
            found.update(id(option) for option in options if option.get("type") == "string")
    return found


def _nodes(schema: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, dict):
        yield where, schema
        for key, value in schema.items():
            yield from _nodes(value, f"{where}.{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _nodes(value, f"{where}[{index}]")


def _refs(schema: Any) -> Iterator[str]:
    for _, node in _nodes(schema):
        if "$ref" in node:
            yield str(node["$ref"]).rsplit("/", 1)[-1]


async def test_bad_values_in_any_json_field_are_refused_and_change_nothing(
    world: World, database: Database, app: FastAPI
) -> None:
    before = await table_digests(database)
    schema_names = body_operations(app)
    models = request_models()
    failures = []
    for (method, path), (role, make) in BODIES.items():
        body = make(world)
        client = world.clients[role]
        url = world.url(path)
        headers = {"content-type": "application/json"}
        for place in leaves(body):
            for kind, raw in BAD_VALUES.items():
                response = await client.request(
                    method, url, content=spoiled(body, place, raw), headers=headers
                )
                if (why := refused(response, field_name(place))) is not None:
                    failures.append(f"{method} {path} {'.'.join(map(str, place))} {kind}: {why}")
        # FastAPI's model of a bare body parameter ignores unknown keys, NUL or not.
        if schema_names[(method, path)] not in models:
            continue
        for place in objects(body):
            copy = json.loads(json.dumps(body))
            target = copy
            for part in place:
                target = target[part]
            target[NUL_KEY] = "x"
            response = await client.request(method, url, content=json.dumps(copy), headers=headers)
            name = field_name(place) if any(isinstance(p, str) for p in place) else "k"
            if (why := refused(response, name)) is not None:
                failures.append(f"{method} {path} {place} NUL key: {why}")
    assert not failures, "\n".join(failures[:40])
    assert await table_digests(database) == before


@pytest.mark.parametrize("raw", ['"\\u0000"', '"\\udfff"', "NaN", "1e400", '["\\u0000"]'])
async def test_a_bad_body_as_a_whole_is_refused(world: World, raw: str) -> None:
    response = await world.clients["teacher"].post(
        "/api/v1/lessons", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text


async def test_bad_query_parameters_are_refused(world: World, app: FastAPI) -> None:
    """Every query parameter of every JSON GET route: NUL in text, numbers out of range."""
    failures = []
    for path, methods in app.openapi()["paths"].items():
        operation = methods.get("get")
        if operation is None or not path.startswith("/api/"):
            continue
        role = "superuser" if path.startswith("/api/v1/teachers") else "teacher"
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            name = parameter["name"]
            for value in ("a\x00b", "1e400", "NaN", str(2**63), "-Infinity"):
                for who in {role, "student"} if path == "/api/v1/assignments" else {role}:
                    response = await world.clients[who].get(world.url(path), params={name: value})
                    if response.status_code == 200 and _accepts(parameter, value):
                        continue
                    if (why := refused(response, name)) is not None:
                        failures.append(f"GET {path}?{name}={value!r} as {who}: {why}")
    assert not failures, "\n".join(failures)


def _accepts(parameter: dict[str, Any], value: str) -> bool:
    """A text filter may well search for 'NaN' or '1e400'; only NUL must be refused."""
    schema = parameter["schema"]
    types = {schema.get("type"), *(option.get("type") for option in schema.get("anyOf", []))}
    return "string" in types and "\x00" not in value and "enum" not in json.dumps(schema)


async def test_a_very_long_string_is_refused_not_stored(world: World, database: Database) -> None:
    before = await table_digests(database)
    response = await world.clients["teacher"].post(
        "/api/v1/lessons",
        json=full_lesson(content=[{"id": "t", "type": "text", "markdown": "x" * (MAX_STR + 1)}]),
    )
    assert response.status_code == 422, response.text
    assert "markdown" in response.text
    assert await table_digests(database) == before


# --- page forms and queries


def _csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"csrf_token": client.cookies["csrftoken"]}


async def test_login_form_with_nul_is_refused(world: World, database: Database) -> None:
    before = await table_digests(database)
    anonymous = world.clients["anonymous"]
    for data in (
        {"email": "a\x00b@example.com", "password": PASSWORD},
        {"email": world.student_email, "password": "Correct\x00Horse"},
    ):
        response = await anonymous.post("/auth/login", data=data)
        # A page: the message in words, not the field's internal name.
        assert response.status_code == 422, response.text
        assert TEXT_CHARACTERS in response.text
    response = await world.clients["teacher"].post("/language", data={"language": "e\x00n"})
    assert response.status_code == 422, response.text
    assert TEXT_CHARACTERS in response.text
    assert await table_digests(database) == before


@pytest.mark.parametrize(
    ("url", "data", "status", "message"),
    [
        # Read by `read_form`: refused before any schema, with what is wrong.
        ("/lessons/new", {"title": "a\x00b"}, 422, TEXT_CHARACTERS),
        ("/lessons/new", {"title": "T", "tags": "ok, b\x00d"}, 422, TEXT_CHARACTERS),
        ("/lessons/{lesson_id}/settings", {"title": "a\x00b"}, 422, TEXT_CHARACTERS),
        ("/lessons/{lesson_id}/blocks", {"type": "text", "markdown": "a\x00b"}, 422, None),
        ("/students/new", {"email": "n@example.com", "name": "a\x00b"}, 422, TEXT_CHARACTERS),
        ("/students/{student_id}/edit", {"name": "a\x00b", "surname": "S"}, 422, None),
        ("/assignments/{assignment_id}/grade", {"feedback": "a\x00b"}, 422, TEXT_CHARACTERS),
        # Parsed into a schema by the route: the form again, or a flash on the page.
        ("/lessons/{lesson_id}/assign", {"student_ids": "1", "due_at": "a\x00b"}, 422, None),
        ("/folders", {"name": "a\x00b"}, 422, None),  # the library again, at the field
        ("/groups", {"name": "a\x00b"}, None, None),
        ("/groups/{group_id}/rename", {"name": "a\x00b"}, 303, None),
    ],
)
async def test_teacher_page_forms_with_nul_store_nothing(
    world: World,
    database: Database,
    url: str,
    data: dict[str, str],
    status: int | None,
    message: str | None,
) -> None:
    before = await table_digests(database)
    client = world.clients["teacher"]
    response = await client.post(world.url(url), data={**data, **_csrf(client)})
    assert response.status_code < 500, response.text
    if status is not None:
        assert response.status_code == status, response.text
    if message is not None:
        assert message in response.text
    assert await table_digests(database) == before


@pytest.mark.parametrize(
    "field", ["answer.sa", "answer.num", "answer.es", "answer.mat.p1", "time_spent_seconds"]
)
async def test_player_forms_with_nul_store_nothing(
    world: World, database: Database, field: str
) -> None:
    before = await table_digests(database)
    client = world.clients["student"]
    for action in ("save", "submit"):
        response = await client.post(
            world.url(f"/assignments/{{assignment_id}}/{action}"),
            data={field: "a\x00b", "attempt_no": "1", **_csrf(client)},
        )
        assert response.status_code in (303, 422), response.text
    assert await table_digests(database) == before


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("teacher", "/lessons?q=a%00b"),
        ("teacher", "/lessons?tag=a%00b"),
        ("teacher", "/students?q=a%00b"),
        ("superuser", "/superuser/teachers?q=a%00b"),
    ],
)
async def test_page_queries_with_nul_are_refused(world: World, role: str, url: str) -> None:
    response = await world.clients[role].get(url)
    assert response.status_code == 422, response.text
