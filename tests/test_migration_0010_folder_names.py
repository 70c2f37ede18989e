"""Migration 0010 on a scratch database: folders that already share a name at one level (any
case, stray spaces) are renamed " (2)", " (3)", ... — never onto a name that is taken — before
the unique index is built; the downgrade drops the index and keeps the names."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL

from app.core.migrations import alembic_config
from tests.conftest import make_settings
from tests.db_server import create_database, drop_database, unique_name

INDEX = "uq_folders_teacher_id_parent_name"


@pytest.fixture
def scratch(server_url: URL) -> Iterator[tuple[Config, str]]:
    name = unique_name("tutor_migration_0010")
    url = create_database(server_url, name)
    try:
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        yield alembic_config(url, make_settings(url)), dsn
    finally:
        drop_database(server_url, name)


async def _run(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn)
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


def run(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    return asyncio.run(_run(dsn, sql, *args))


def add_teacher(dsn: str, email: str) -> int:
    rows = run(
        dsn,
        "WITH u AS (INSERT INTO users (email, password_hash, role, name, surname, timezone,"
        " language) VALUES ($1, 'x', 'teacher', 'T', 'T', 'UTC', 'ru') RETURNING id)"
        " INSERT INTO teachers (id) SELECT id FROM u RETURNING id",
        email,
    )
    return int(rows[0]["id"])


def add_folder(dsn: str, teacher_id: int, name: str, parent_id: int | None = None) -> int:
    rows = run(
        dsn,
        "INSERT INTO folders (teacher_id, parent_id, name) VALUES ($1, $2, $3) RETURNING id",
        teacher_id,
        parent_id,
        name,
    )
    return int(rows[0]["id"])


def names(dsn: str) -> dict[int, str]:
    return {row["id"]: row["name"] for row in run(dsn, "SELECT id, name FROM folders")}


def has_index(dsn: str) -> bool:
    return bool(run(dsn, "SELECT 1 FROM pg_indexes WHERE indexname = $1", INDEX))


def test_duplicates_are_renamed_before_the_index_is_built(scratch: tuple[Config, str]) -> None:
    config, dsn = scratch
    command.upgrade(config, "0009")
    one = add_teacher(dsn, "one@example.com")
    two = add_teacher(dsn, "two@example.com")
    first = add_folder(dsn, one, "Maths")
    second = add_folder(dsn, one, "maths")
    third = add_folder(dsn, one, " MATHS ")
    taken = add_folder(dsn, one, "Maths (2)")  # the first free number is then 3, then 4
    inner_a = add_folder(dsn, one, "Maths", first)  # another level: left alone
    inner_b = add_folder(dsn, one, "Algebra", first)
    inner_c = add_folder(dsn, one, "ALGEBRA", first)
    other = add_folder(dsn, two, "Maths")  # another teacher: left alone
    padded = add_folder(dsn, two, "  History ")

    command.upgrade(config, "0010")
    assert has_index(dsn)
    assert names(dsn) == {
        first: "Maths",
        second: "maths (3)",
        third: "MATHS (4)",
        taken: "Maths (2)",
        inner_a: "Maths",
        inner_b: "Algebra",
        inner_c: "ALGEBRA (2)",
        other: "Maths",
        padded: "History",
    }
    # From now on the database itself refuses a twin, whatever its case.
    with pytest.raises(asyncpg.UniqueViolationError):
        add_folder(dsn, one, "mAtHs")
    add_folder(dsn, one, "mAtHs", inner_b)  # inside another folder it is fine

    command.downgrade(config, "0009")
    assert not has_index(dsn)
    assert names(dsn)[second] == "maths (3)"  # renaming is not undone: nothing clashes again
    add_folder(dsn, one, "mAtHs")
