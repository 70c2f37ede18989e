"""The limit: the read scenarios served by Starlette + a raw asyncpg pool, no ORM, no validation.

It runs the same SQL as the real app, statement for statement: the public prebuilt statements of
the features' repositories, compiled once at import by SQLAlchemy for asyncpg (the two the app
does not build there are copied as pg_stat_statements shows them: the ORM's `session.get` of a
user, and the session's actor statement): BEGIN; the tenant `set_config` statement that also
checks the login session (`auth_session_state`, the real app's one-round-trip check); the
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
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from http.cookies import SimpleCookie
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import jwt
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from app.core.config import get_settings
from app.services.accounts import repository as accounts_repository
from app.services.lms import repository as lms_repository
from app.services.paging import count_statement

SET_ACTOR_AND_CHECK_SESSION = (
    "SELECT set_config('app.user_id', $1, true),"
    " set_config('app.teacher_id', $2, true),"
    " set_config('app.role', $3, true),"
    " auth_session_state($4, CAST($1 AS bigint), $3, CAST(NULLIF($2, '') AS bigint))"
)


@dataclass(frozen=True)
class Statement:
    """One of the app's prebuilt statements as SQLAlchemy renders it for asyncpg, compiled once
    at import: the limit app sends exactly the app's SQL, with no SQLAlchemy per request."""

    sql: str
    names: tuple[str, ...]
    constants: dict[str, Any]

    def args(self, **values: Any) -> list[Any]:
        return [values[name] if name in values else self.constants[name] for name in self.names]


def _compiled(stmt: Any, **sample: Any) -> Statement:
    state = stmt.compile(dialect=PGDialect_asyncpg()).construct_expanded_state(sample)
    constants = {k: v for k, v in state.parameters.items() if k not in sample}
    return Statement(state.statement, tuple(state.positiontup or ()), constants)


_NOW = datetime.now(UTC)
_PAGE = {"page_limit": 1, "page_offset": 0}
OPEN = lms_repository.OPEN
DONE = lms_repository.DONE
_LIST_SAMPLE = {"teacher_id": 1, "student_id": 1, "now": _NOW, **_PAGE}
_BUCKETS = (None, *lms_repository.BUCKETS)
# bucket -> the student's (or one student's, for a teacher) assignment list, and its count
_LIST_STATEMENTS = {
    bucket: lms_repository.assignment_list_statement(bucket, True, False, False)
    for bucket in _BUCKETS
}
LISTS = {bucket: _compiled(stmt, **_LIST_SAMPLE) for bucket, stmt in _LIST_STATEMENTS.items()}
LIST_COUNTS = {
    bucket: _compiled(count_statement(stmt), **_LIST_SAMPLE)
    for bucket, stmt in _LIST_STATEMENTS.items()
}
ONE_ASSIGNMENT = _compiled(
    lms_repository.assignment_statement(True, False), teacher_id=1, assignment_id=1, student_id=1
)
VERSION_CONTENT = _compiled(lms_repository.VERSION_CONTENT, teacher_id=1, lesson_id=1, version=1)
ATTEMPT_BRIEFS = _compiled(lms_repository.ATTEMPT_BRIEFS, teacher_id=1, assignment_id=1)
_STUDENTS = accounts_repository.student_list_statement(False, True)
STUDENTS_PAGE = _compiled(_STUDENTS, teacher_id=1, **_PAGE)
STUDENTS_COUNT = _compiled(count_statement(_STUDENTS), teacher_id=1, **_PAGE)
PROGRESS = _compiled(lms_repository.STUDENT_PROGRESS, teacher_id=1, student_ids=[1], now=_NOW)
OWN_PROFILE = _compiled(accounts_repository.OWN_PROFILE, user_id=1, teacher_id=1)
# The teacher's home: what needs doing (app/services/lms/overview.py, the same sizes).
_OVERVIEW_SAMPLE = {"teacher_id": 1, "limit": 1}
OVERVIEW_WAITING = _compiled(lms_repository.OVERVIEW_WAITING, **_OVERVIEW_SAMPLE)
OVERVIEW_DUE = _compiled(lms_repository.OVERVIEW_DUE, now=_NOW, until=_NOW, **_OVERVIEW_SAMPLE)
OVERVIEW_RECENT = _compiled(lms_repository.OVERVIEW_RECENT, **_OVERVIEW_SAMPLE)
OVERVIEW_BEHIND = _compiled(
    lms_repository.OVERVIEW_BEHIND, now=_NOW, since=_NOW, low_percent=50, **_OVERVIEW_SAMPLE
)
USER_BY_ID = (
    "SELECT users.created_at, users.updated_at, users.id, users.email, users.password_hash,"
    " users.role, users.teacher_id, users.is_active, users.name, users.surname,"
    " users.second_name, users.birthday, users.timezone, users.language,"
    " users.must_change_password \nFROM users \nWHERE"
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
        state = await connection.fetchval(
            SET_ACTOR_AND_CHECK_SESSION,
            claims["sub"],
            "" if claims["tid"] is None else str(claims["tid"]),
            claims["role"],
            claims["sid"],
            column=3,
        )
        if state != "active":
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
        "lesson_title": row["lesson_title"],
        "student_id": row["student_id"],
        "student_name": f"{row['surname']} {row['name']}",
        "student": {"id": row["student_id"], "surname": row["surname"], "name": row["name"]},
        "status": row["status"],
        "due_at": due,
        "overdue": (
            due is not None and due < now and row["status"] in OPEN and row["attempts_used"] == 0
        ),
        "score": row["score"],
        "max_score": row["max_score"],
        "attempts_used": row["attempts_used"],
        "attempt_limit": row["attempt_limit"],
        "counted_attempt": row["counted_attempt"],
        "counted_attempt_no": row["counted_attempt_no"],
        "counted_score": row["counted_score"],
        "counted_max_score": row["counted_max_score"],
        "answered_count": row["answered_count"],
        "question_count": row["question_count"],
        "blocks_viewed": row["blocks_viewed"],
        "block_count": row["block_count"],
        "time_spent_seconds": row["time_spent_seconds"],
        "assigned_at": row["assigned_at"],
        "submitted_at": row["submitted_at"],
        "graded_at": row["graded_at"],
    }


async def _fetch_page(
    connection: Any, page: Statement, count: Statement, **values: Any
) -> tuple[list[Any], int]:
    """The rows and the total from the window column; a separate count only for a page past
    the end (as app/services/paging.py)."""
    rows = await connection.fetch(page.sql, *page.args(**values))
    if rows:
        return rows, int(rows[0]["total_rows"])
    if values["page_offset"] == 0:
        return [], 0
    return [], int(await connection.fetchval(count.sql, *count.args(**values)))


async def _list(
    connection: Any,
    teacher_id: int,
    student_id: int,
    bucket: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    now = datetime.now(UTC)
    rows, total = await _fetch_page(
        connection,
        LISTS[bucket],
        LIST_COUNTS[bucket],
        teacher_id=teacher_id,
        student_id=student_id,
        now=now,
        page_limit=limit,
        page_offset=offset,
    )
    return [_summary(row, now) for row in rows], total


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
            ONE_ASSIGNMENT.sql,
            *ONE_ASSIGNMENT.args(
                teacher_id=teacher_id, assignment_id=assignment_id, student_id=int(claims["stu"])
            ),
        )
        if row is None:
            return _json({"detail": "Assignment not found", "code": "not_found"}, 404)
        content = await connection.fetchval(
            VERSION_CONTENT.sql,
            *VERSION_CONTENT.args(
                teacher_id=teacher_id, lesson_id=row["lesson_id"], version=row["lesson_version"]
            ),
        )
        attempts = await connection.fetch(
            ATTEMPT_BRIEFS.sql,
            *ATTEMPT_BRIEFS.args(teacher_id=teacher_id, assignment_id=assignment_id),
        )
    status = row["status"]
    attempt_no = row["attempts_used"] + 1 if status in OPEN else row["attempts_used"]
    rng = random.Random(row["id"] * 1000 + attempt_no)  # noqa: S311 - same as the app
    blocks = [_student_block(block, rng, row["shuffle_options"]) for block in json.loads(content)]
    graded = status == "graded"
    payload = {
        # The list rows count the blocks seen in SQL; this row has the JSON itself.
        **_summary(
            {**row, "blocks_viewed": len(json.loads(row["blocks_viewed"]))}, datetime.now(UTC)
        ),
        "attempt_no": attempt_no,
        "time_limit_minutes": row["time_limit_minutes"],
        "started_at": row["started_at"],
        "blocks": blocks,
        "answers": json.loads(row["answers"]),
        "results": json.loads(row["results"]) if status in DONE and row["results"] else None,
        "feedback": row["feedback"] if graded else None,
        "revealed": None,
        "history": [
            {
                "attempt_no": attempt["attempt_no"],
                "submitted_at": attempt["submitted_at"],
                "graded_at": attempt["graded_at"],
                "score": attempt["score"] if attempt["graded_at"] else None,
                "max_score": attempt["max_score"],
                "feedback": attempt["feedback"] if attempt["graded_at"] else None,
                "counted": attempt["attempt_no"] == row["counted_attempt_no"],
            }
            for attempt in attempts
        ],
    }
    return _json(payload)


def _student(row: Any, progress: dict[str, Any]) -> dict[str, Any]:
    return {
        "email": row["email"],
        "name": row["name"],
        "surname": row["surname"],
        "second_name": row["second_name"],
        "birthday": row["birthday"],
        "timezone": row["timezone"],
        "language": row["language"],
        "is_active": row["is_active"],
        "created_at": row["created_at"],
        "id": row["id"],
        "user_id": row["user_id"],
        "teacher_id": row["teacher_id"],
        "progress": progress,
    }


NO_PROGRESS = {"assigned": 0, "completed": 0, "overdue": 0, "average_percent": None}


async def _students(
    connection: Any, teacher_id: int, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of students and each one's progress (two queries, as the app)."""
    rows, total = await _fetch_page(
        connection,
        STUDENTS_PAGE,
        STUDENTS_COUNT,
        teacher_id=teacher_id,
        page_limit=limit,
        page_offset=offset,
    )
    progress: dict[int, dict[str, Any]] = {}
    if rows:
        args = PROGRESS.args(
            teacher_id=teacher_id, student_ids=[row["id"] for row in rows], now=datetime.now(UTC)
        )
        for found in await connection.fetch(PROGRESS.sql, *args):
            average = found["average_percent"]
            progress[found["student_id"]] = {
                "assigned": found["assigned"],
                "completed": found["completed"],
                "overdue": found["overdue"],
                "average_percent": None if average is None else round(average, 1),
            }
    return [_student(row, progress.get(row["id"], NO_PROGRESS)) for row in rows], total


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


async def _overview(connection: Any, teacher_id: int, user_id: int) -> str:
    """The teacher's to-do lists, as the app reads them: the teacher's account (their time
    zone), then one statement per list."""
    teacher = await connection.fetchrow(USER_BY_ID, user_id)
    now = datetime.now(UTC)
    zone = ZoneInfo(teacher["timezone"] or "UTC")
    until = datetime.combine(
        (now.astimezone(zone) + timedelta(days=7)).date(), time(), tzinfo=zone
    ).astimezone(UTC)
    sections = []
    for title, statement, values, size in (
        ("waiting", OVERVIEW_WAITING, {}, 10),
        ("due", OVERVIEW_DUE, {"now": now, "until": until}, 10),
        ("recent", OVERVIEW_RECENT, {}, lms_repository.OVERVIEW_RECENT_SIZE),
        (
            "behind",
            OVERVIEW_BEHIND,
            {"now": now, "since": now - timedelta(days=30), "low_percent": Decimal(50)},
            10,
        ),
    ):
        args = statement.args(teacher_id=teacher_id, limit=size, **values)
        found = await connection.fetch(statement.sql, *args)
        items = "".join(
            f"<li>{html.escape(row.get('lesson_title') or '')} {html.escape(row['surname'])}"
            f" {row.get('score') or ''}</li>"
            for row in found
        )
        sections.append(f"<section><h2>{title}</h2><ul>{items}</ul></section>")
    return "".join(sections)


async def dashboard(request: Request) -> Response:
    claims = _actor(request)
    teacher_id = int(claims["tid"])
    async with _transaction(request, claims) as connection:
        if claims["role"] == "teacher":
            overview = await _overview(connection, teacher_id, int(claims["sub"]))
            students, total = await _students(connection, teacher_id, 10, 0)
            rows = "".join(
                f"<tr><td>{html.escape(s['surname'])} {html.escape(s['name'])}</td>"
                f"<td>{html.escape(s['email'])}</td></tr>"
                for s in students
            )
            return HTMLResponse(
                f"<!doctype html><title>Dashboard</title>{overview}"
                f"<h1>My students ({total})</h1><table>{rows}</table>"
            )
        profile = await connection.fetchrow(
            OWN_PROFILE.sql, *OWN_PROFILE.args(user_id=int(claims["sub"]), teacher_id=teacher_id)
        )
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
