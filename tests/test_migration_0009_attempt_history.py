"""Migration 0009 on a scratch database with work already done: the lessons learn their
question count, the assignments their answered count and the attempt that counts (the best
graded one), and the feedback written so far moves to the latest attempt."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import asyncpg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL

from app.core.migrations import alembic_config
from tests.conftest import make_settings
from tests.db_server import create_database, drop_database, unique_name

CONTENT = [
    {"id": "t", "type": "text", "markdown": "Read"},
    {"id": "q1", "type": "true_false", "prompt": "?", "correct": True, "points": "1"},
    {"id": "q2", "type": "short_answer", "prompt": "?", "accepted": ["a"], "points": "2"},
]


@pytest.fixture
def scratch(server_url: URL) -> Iterator[tuple[Config, str]]:
    name = unique_name("tutor_migration_0009")
    url = create_database(server_url, name)
    try:
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        yield alembic_config(url, make_settings(url)), dsn
    finally:
        drop_database(server_url, name)


async def _run(dsn: str, statements: list[tuple[str, tuple[object, ...]]]) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn)
    try:
        rows: list[asyncpg.Record] = []
        for sql, args in statements:
            rows = list(await connection.fetch(sql, *args))
        return rows
    finally:
        await connection.close()


def run(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    return asyncio.run(_run(dsn, [(sql, args)]))


def seed_work(dsn: str) -> None:
    """A teacher, a student, a lesson and an assignment with two graded attempts (1 and 3 of
    3), answered on version 1, the teacher's feedback on the assignment."""
    content = json.dumps(CONTENT)
    run(
        dsn,
        "INSERT INTO users (id, email, password_hash, role, name, surname, timezone, language)"
        " VALUES (1, 't@example.com', 'x', 'teacher', 'T', 'T', 'UTC', 'ru')",
    )
    run(dsn, "INSERT INTO teachers (id) VALUES (1)")
    run(
        dsn,
        "INSERT INTO users (id, email, password_hash, role, teacher_id, name, surname, timezone,"
        " language) VALUES (2, 's@example.com', 'x', 'student', 1, 'S', 'S', 'UTC', 'ru')",
    )
    run(dsn, "INSERT INTO students (id, teacher_id, user_id) VALUES (1, 1, 2)")
    run(
        dsn,
        "INSERT INTO lessons (id, teacher_id, title, status, version, content, block_count,"
        " max_score) VALUES (1, 1, 'L', 'published', 1, $1::jsonb, 3, 3)",
        content,
    )
    run(
        dsn,
        "INSERT INTO lesson_versions (teacher_id, lesson_id, version, title, content, max_score)"
        " VALUES (1, 1, 1, 'L', $1::jsonb, 3)",
        content,
    )
    run(
        dsn,
        "INSERT INTO lesson_assignments (teacher_id, id, lesson_id, student_id, lesson_version,"
        " status, answers, score, max_score, attempts_used, feedback)"
        " VALUES (1, 1, 1, 1, 1, 'graded', $1::jsonb, 1, 3, 2, 'Лучше')",
        json.dumps({"q1": True, "q2": "  "}),
    )
    for number, score in ((1, 3), (2, 1)):
        run(
            dsn,
            "INSERT INTO assignment_attempts (teacher_id, id, assignment_id, attempt_no,"
            " lesson_version, auto_score, score, max_score, graded_at)"
            " VALUES (1, $1, 1, $2, 1, $3, $3, 3, now())",
            number,
            number,
            score,
        )


def test_work_done_before_keeps_its_numbers(scratch: tuple[Config, str]) -> None:
    config, dsn = scratch
    command.upgrade(config, "0008")
    seed_work(dsn)
    command.upgrade(config, "0009")
    [lesson] = run(dsn, "SELECT question_count, counted_attempt FROM lessons")
    assert (lesson["question_count"], lesson["counted_attempt"]) == (2, "best")
    [assignment] = run(
        dsn,
        "SELECT answered_count, counted_attempt_no, counted_score, counted_max_score"
        " FROM lesson_assignments",
    )
    # The blank short answer is not an answer; the best attempt (the first, 3 of 3) counts.
    assert tuple(assignment) == (1, 1, 3, 3)
    feedback = run(dsn, "SELECT attempt_no, feedback FROM assignment_attempts ORDER BY 1")
    assert [tuple(row) for row in feedback] == [(1, None), (2, "Лучше")]
    command.downgrade(config, "0008")
    command.upgrade(config, "0009")
