"""The limit: the read scenarios served by Starlette + a raw asyncpg pool, no ORM, no validation.

It runs the same SQL as the real app, statement for statement (copied from what SQLAlchemy
emits, as pg_stat_statements shows it): BEGIN; the tenant `set_config` statement that also
checks the login session (`auth_session_is_valid`, the real app's one-round-trip check); the
service queries; COMMIT. It connects as the RLS-bound app role, so RLS applies identically.
What it leaves out is everything in Python: the ORM, pydantic, FastAPI's dependency injection,
Jinja2. The ratio real/limit is therefore the cost of the framework and the app's Python code.

Run: `BENCH_APP_DSN=postgresql://tutor_app@/db?host=... SECRET_KEY=... uvicorn bench.limit_app:app`.
"""

from __future__ import annotations

import html
import json
import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from http.cookies import SimpleCookie
from typing import Any

import asyncpg
import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from app.core.config import get_settings

SET_ACTOR_AND_CHECK_SESSION = (
    "SELECT set_config('app.user_id', $1, true),"
    " set_config('app.teacher_id', $2, true),"
    " set_config('app.role', $3, true),"
    " auth_session_is_valid($4, CAST($1 AS bigint), $3)"
)

# The summary query of app/services/lms/assignments.py, as SQLAlchemy renders it.
_SUMMARY_COLUMNS = (
    "lesson_assignments.teacher_id, lesson_assignments.id, lesson_assignments.lesson_id,"
    " lesson_assignments.student_id, lesson_assignments.group_id,"
    " lesson_assignments.lesson_version, lesson_assignments.status, lesson_assignments.due_at,"
    " lesson_assignments.answers, lesson_assignments.blocks_viewed, lesson_assignments.results,"
    " lesson_assignments.score, lesson_assignments.max_score, lesson_assignments.attempts_used,"
    " lesson_assignments.time_spent_seconds, lesson_assignments.feedback,"
    " lesson_assignments.show_correct_answers, lesson_assignments.score_overridden_by,"
    " lesson_assignments.score_overridden_at, lesson_assignments.assigned_at,"
    " lesson_assignments.started_at, lesson_assignments.submitted_at,"
    " lesson_assignments.graded_at, lesson_assignments.updated_at, lessons.title,"
    " lessons.attempt_limit, lessons.block_count,"
    " users.surname, users.name"
)
# In the count's subquery every column is labelled, as SQLAlchemy does.
_SUMMARY_COUNT_COLUMNS = ", ".join(
    column if " AS " in column else f"{column} AS {column.split('.')[-1]}"
    for column in (part.strip() for part in _SUMMARY_COLUMNS.split(","))
)
_SUMMARY_FROM = (
    " \nFROM lesson_assignments JOIN lessons ON lessons.teacher_id ="
    " lesson_assignments.teacher_id AND lessons.id = lesson_assignments.lesson_id JOIN students"
    " ON students.teacher_id = lesson_assignments.teacher_id AND students.id ="
    " lesson_assignments.student_id JOIN users ON users.id = students.user_id \n"
    "WHERE lesson_assignments.teacher_id = $1::BIGINT AND lesson_assignments.student_id ="
    " $2::BIGINT"
)
OPEN = ("assigned", "in_progress")
DONE = ("submitted", "graded")
# bucket -> (extra WHERE, ORDER BY, extra parameters)
BUCKETS: dict[str | None, tuple[str, str, tuple[Any, ...]]] = {
    None: ("", "lesson_assignments.assigned_at DESC, lesson_assignments.id DESC", ()),
    "todo": (
        " AND lesson_assignments.status IN ($3::VARCHAR, $4::VARCHAR)",
        "lesson_assignments.due_at ASC NULLS LAST, lesson_assignments.id",
        OPEN,
    ),
    "done": (
        " AND lesson_assignments.status IN ($3::VARCHAR, $4::VARCHAR)",
        "lesson_assignments.submitted_at DESC, lesson_assignments.id DESC",
        DONE,
    ),
    "overdue": (
        " AND lesson_assignments.status IN ($3::VARCHAR, $4::VARCHAR)"
        " AND lesson_assignments.due_at < $5::TIMESTAMP WITH TIME ZONE",
        "lesson_assignments.due_at ASC, lesson_assignments.id",
        OPEN,
    ),
}


def _count_sql(where: str) -> str:
    """The separate count, which the app runs only for a page past the end of the list."""
    return (
        f"SELECT count(*) AS count_1 \nFROM (SELECT {_SUMMARY_COUNT_COLUMNS}{_SUMMARY_FROM}"
        f"{where}) AS anon_1"
    )


# app/services/paging.py: the page and its total in one query (`count(*) OVER ()`).
TOTAL = ", count(*) OVER () AS total_rows"


def _page_sql(where: str, order: str, first_param: int) -> str:
    return (
        f"SELECT {_SUMMARY_COLUMNS}{TOTAL}{_SUMMARY_FROM}{where} ORDER BY {order} \n"
        f" LIMIT ${first_param}::INTEGER OFFSET ${first_param + 1}::INTEGER"
    )


ONE_ASSIGNMENT = (
    f"SELECT {_SUMMARY_COLUMNS}{_SUMMARY_FROM.replace('student_id = $2', 'id = $2')}"
    " AND lesson_assignments.student_id = $3::BIGINT"
)
LESSON_VERSION = (
    "SELECT lesson_versions.teacher_id, lesson_versions.lesson_id, lesson_versions.version,"
    " lesson_versions.title, lesson_versions.content, lesson_versions.max_score,"
    " lesson_versions.created_at \nFROM lesson_versions \nWHERE lesson_versions.teacher_id ="
    " $1::BIGINT AND lesson_versions.lesson_id = $2::BIGINT AND lesson_versions.version ="
    " $3::INTEGER"
)
LESSON = (
    "SELECT lessons.created_at, lessons.updated_at, lessons.id, lessons.teacher_id,"
    " lessons.folder_id, lessons.title, lessons.subject, lessons.tags, lessons.status,"
    " lessons.version, lessons.content, lessons.block_count, lessons.max_score,"
    " lessons.attempt_limit,"
    " lessons.time_limit_minutes, lessons.shuffle_options \nFROM lessons \nWHERE"
    " lessons.teacher_id = $1::BIGINT AND lessons.id = $2::BIGINT"
)
_USER_COLUMNS = (
    "users.created_at AS created_at_1, users.updated_at AS updated_at_1, users.id AS id_1,"
    " users.email, users.password_hash, users.role, users.teacher_id AS teacher_id_1,"
    " users.is_active, users.name, users.surname, users.second_name, users.birthday,"
    " users.timezone, users.language"
)
STUDENTS_COUNT = (
    "SELECT count(*) AS count_1 \nFROM (SELECT students.created_at AS created_at,"
    " students.updated_at AS updated_at, students.id AS id, students.teacher_id AS teacher_id,"
    " students.user_id AS user_id, users.created_at AS created_at_1, users.updated_at AS"
    " updated_at_1, users.id AS id_1, users.email AS email, users.password_hash AS"
    " password_hash, users.role AS role, users.teacher_id AS teacher_id_1, users.is_active AS"
    " is_active, users.name AS name, users.surname AS surname, users.second_name AS"
    " second_name, users.birthday AS birthday, users.timezone AS timezone, users.language AS"
    " language \nFROM students JOIN users ON users.id = students.user_id \nWHERE"
    " students.teacher_id = $1::BIGINT) AS anon_1"
)
STUDENTS_PAGE = (
    "SELECT students.created_at, students.updated_at, students.id, students.teacher_id,"
    f" students.user_id, {_USER_COLUMNS}{TOTAL} \nFROM students JOIN users ON users.id ="
    " students.user_id \nWHERE students.teacher_id = $1::BIGINT ORDER BY users.surname,"
    " users.name, students.id \n LIMIT $2::INTEGER OFFSET $3::INTEGER"
)
OWN_PROFILE = (
    "SELECT students.created_at, students.updated_at, students.id, students.teacher_id,"
    f" students.user_id, {_USER_COLUMNS} \nFROM students JOIN users ON users.id ="
    " students.user_id \nWHERE students.user_id = $1::BIGINT AND students.teacher_id ="
    " $2::BIGINT"
)
USER_BY_ID = (
    "SELECT users.created_at, users.updated_at, users.id, users.email, users.password_hash,"
    " users.role, users.teacher_id, users.is_active, users.name, users.surname,"
    " users.second_name, users.birthday, users.timezone, users.language \nFROM users \nWHERE"
    " users.id = $1::BIGINT"
)

SECRET = get_settings().effective_secret_key()
ALGORITHM = get_settings().algorithm


class Unauthorized(Exception):
    pass


def _actor(request: Request) -> dict[str, Any]:
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(request.headers.get("cookie", ""))
    morsel = cookie.get("access_token")
    if morsel is None:
        raise Unauthorized
    try:
        claims = jwt.decode(
            morsel.value,
            SECRET,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "sid", "role"]},
        )
    except jwt.PyJWTError as error:
        raise Unauthorized from error
    return claims


@asynccontextmanager
async def _transaction(request: Request, claims: dict[str, Any]) -> AsyncIterator[Any]:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection, connection.transaction():
        valid = await connection.fetchval(
            SET_ACTOR_AND_CHECK_SESSION,
            claims["sub"],
            str(claims["tid"]),
            claims["role"],
            claims["sid"],
            column=3,
        )
        if not valid:
            raise Unauthorized
        yield connection


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _json(payload: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(payload, default=_default, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
    )


def _summary(row: Any, now: datetime) -> dict[str, Any]:
    due = row["due_at"]
    return {
        "id": row["id"],
        "lesson_id": row["lesson_id"],
        "lesson_title": row["title"],
        "student_id": row["student_id"],
        "student_name": f"{row['surname']} {row['name']}",
        "status": row["status"],
        "due_at": due,
        "overdue": due is not None and due < now and row["status"] in OPEN,
        "score": row["score"],
        "max_score": row["max_score"],
        "attempts_used": row["attempts_used"],
        "attempt_limit": row["attempt_limit"],
        "blocks_viewed": len(json.loads(row["blocks_viewed"])),
        "block_count": row["block_count"],
        "time_spent_seconds": row["time_spent_seconds"],
        "assigned_at": row["assigned_at"],
        "submitted_at": row["submitted_at"],
        "graded_at": row["graded_at"],
    }


async def _list(
    connection: Any,
    teacher_id: int,
    student_id: int,
    bucket: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    where, order, extra = BUCKETS[bucket]
    now = datetime.now(UTC)
    params: list[Any] = [teacher_id, student_id, *extra]
    if bucket == "overdue":
        params.append(now)
    rows = await connection.fetch(_page_sql(where, order, len(params) + 1), *params, limit, offset)
    total = await _total(connection, rows, offset, _count_sql(where), *params)
    return [_summary(row, now) for row in rows], total


async def _total(
    connection: Any, rows: list[Any], offset: int, count_sql: str, *params: Any
) -> int:
    """The total from the window column; a separate count only for a page past the end."""
    if rows:
        return int(rows[0]["total_rows"])
    if offset == 0:
        return 0
    return int(await connection.fetchval(count_sql, *params))


def _page(items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    more = offset + len(items) < total
    return {
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + len(items) if more and items else None,
    }


def _paging(request: Request) -> tuple[int, int]:
    return int(request.query_params.get("limit", 50)), int(request.query_params.get("offset", 0))


async def list_assignments(request: Request) -> Response:
    claims = _actor(request)
    limit, offset = _paging(request)
    if claims["role"] == "student":
        student_id = int(claims["stu"])
    else:
        student_id = int(request.query_params["student_id"])
    async with _transaction(request, claims) as connection:
        items, total = await _list(
            connection,
            int(claims["tid"]),
            student_id,
            request.query_params.get("bucket"),
            limit,
            offset,
        )
    return _json(_page(items, total, limit, offset))


# What a student may see of each block type (the app builds the same from validated models).
STUDENT_KEYS = ("id", "type", "markdown", "url", "media_id", "title", "alt", "prompt", "points")


def _student_block(block: dict[str, Any], rng: random.Random, shuffle: bool) -> dict[str, Any]:
    shown = {key: block[key] for key in STUDENT_KEYS if key in block}
    kind = block["type"]
    if kind in ("single_choice", "multiple_choice"):
        options = [{"id": o["id"], "text": o["text"]} for o in block["options"]]
        if shuffle:
            rng.shuffle(options)
        shown["options"] = options
    elif kind == "matching":
        right = [{"id": p["right_id"], "text": p["right"]} for p in block["pairs"]]
        rng.shuffle(right)
        shown["left"] = [{"id": p["id"], "text": p["left"]} for p in block["pairs"]]
        shown["right"] = right
    elif kind == "ordering":
        items = [{"id": o["id"], "text": o["text"]} for o in block["items"]]
        rng.shuffle(items)
        shown["items"] = items
    elif kind == "fill_blanks":
        shown["text"] = block["text"]
        shown["gaps"] = [{"id": gap["id"]} for gap in block["gaps"]]
    elif kind == "essay":
        shown["min_words"] = block.get("min_words")
        shown["max_words"] = block.get("max_words")
    return shown


async def get_assignment(request: Request) -> Response:
    claims = _actor(request)
    if claims["role"] != "student":
        return _json({"detail": "only the student view is in the limit app"}, 404)
    assignment_id = int(request.path_params["assignment_id"])
    teacher_id = int(claims["tid"])
    async with _transaction(request, claims) as connection:
        row = await connection.fetchrow(
            ONE_ASSIGNMENT, teacher_id, assignment_id, int(claims["stu"])
        )
        if row is None:
            return _json({"detail": "Assignment not found", "code": "not_found"}, 404)
        version = await connection.fetchrow(
            LESSON_VERSION, teacher_id, row["lesson_id"], row["lesson_version"]
        )
        lesson = await connection.fetchrow(LESSON, teacher_id, row["lesson_id"])
    status = row["status"]
    attempt_no = row["attempts_used"] + 1 if status in OPEN else row["attempts_used"]
    rng = random.Random(row["id"] * 1000 + attempt_no)  # noqa: S311 - same as the app
    blocks = [
        _student_block(block, rng, lesson["shuffle_options"])
        for block in json.loads(version["content"])
    ]
    graded = status == "graded"
    payload = {
        **_summary(row, datetime.now(UTC)),
        "attempt_no": attempt_no,
        "time_limit_minutes": lesson["time_limit_minutes"],
        "started_at": row["started_at"],
        "blocks": blocks,
        "answers": json.loads(row["answers"]),
        "results": json.loads(row["results"]) if status in DONE and row["results"] else None,
        "feedback": row["feedback"] if graded else None,
        "revealed": None,
    }
    return _json(payload)


def _student(row: Any) -> dict[str, Any]:
    return {
        "email": row["email"],
        "name": row["name"],
        "surname": row["surname"],
        "second_name": row["second_name"],
        "birthday": row["birthday"],
        "timezone": row["timezone"],
        "language": row["language"],
        "is_active": row["is_active"],
        "created_at": row["created_at_1"],
        "id": row["id"],
        "user_id": row["id_1"],
        "teacher_id": row["teacher_id"],
    }


async def _students(
    connection: Any, teacher_id: int, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    rows = await connection.fetch(STUDENTS_PAGE, teacher_id, limit, offset)
    total = await _total(connection, rows, offset, STUDENTS_COUNT, teacher_id)
    return [_student(row) for row in rows], total


async def list_students(request: Request) -> Response:
    claims = _actor(request)
    if claims["role"] != "teacher":
        return _json({"detail": "Your role cannot do this", "code": "forbidden"}, 403)
    limit, offset = _paging(request)
    async with _transaction(request, claims) as connection:
        items, total = await _students(connection, int(claims["tid"]), limit, offset)
    return _json(_page(items, total, limit, offset))


def _assignment_items(items: list[dict[str, Any]]) -> str:
    return "".join(
        f'<li><a href="/assignments/{item["id"]}">{html.escape(item["lesson_title"])}</a>'
        f" {item['status']} {item['score'] or ''}/{item['max_score']}</li>"
        for item in items
    )


async def dashboard(request: Request) -> Response:
    claims = _actor(request)
    teacher_id = int(claims["tid"])
    async with _transaction(request, claims) as connection:
        if claims["role"] == "teacher":
            students, total = await _students(connection, teacher_id, 10, 0)
            rows = "".join(
                f"<tr><td>{html.escape(s['surname'])} {html.escape(s['name'])}</td>"
                f"<td>{html.escape(s['email'])}</td></tr>"
                for s in students
            )
            return HTMLResponse(
                f"<!doctype html><title>Dashboard</title><h1>My students ({total})</h1>"
                f"<table>{rows}</table>"
            )
        profile = await connection.fetchrow(OWN_PROFILE, int(claims["sub"]), teacher_id)
        teacher = await connection.fetchrow(USER_BY_ID, teacher_id)
        lists = {
            bucket: await _list(connection, teacher_id, int(claims["stu"]), bucket, 10, 0)
            for bucket in ("overdue", "todo", "done")
        }
    sections = "".join(
        f"<section><h2>{bucket} ({total})</h2><ul>{_assignment_items(items)}</ul></section>"
        for bucket, (items, total) in lists.items()
    )
    return HTMLResponse(
        f"<!doctype html><title>Dashboard</title><h1>Hello, {html.escape(profile['name'])}!</h1>"
        f"{sections}<p>{html.escape(teacher['surname'])} {html.escape(teacher['email'])}</p>"
    )


async def healthz(request: Request) -> Response:
    return _json({"status": "ok"})


def _unauthorized(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": "Not authenticated"}, status_code=401)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """No `RESET ALL` round trip on release: the tenant settings are transaction-local (and the
    real app's SQLAlchemy pool sends nothing either after a commit)."""


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # As many connections per worker as the real app's pool may hold (the same settings).
    settings = get_settings()
    size = settings.db_pool_size + settings.db_max_overflow
    app.state.pool = await asyncpg.create_pool(
        os.environ["BENCH_APP_DSN"], min_size=1, max_size=size, reset=_keep_session
    )
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/api/v1/assignments", list_assignments),
        Route("/api/v1/assignments/{assignment_id:int}", get_assignment),
        Route("/api/v1/students", list_students),
        Route("/dashboard", dashboard),
    ],
    exception_handlers={Unauthorized: _unauthorized},
    lifespan=lifespan,
)
