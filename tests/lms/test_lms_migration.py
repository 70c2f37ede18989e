"""The LMS migration on a scratch database: upgrade creates the tables, 16 hash partitions each
for assignments and attempts, RLS and policies; downgrade to 0001 removes all of it; upgrading
again brings back the same schema."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
from alembic import command
from sqlalchemy.engine import URL

from app.core.config import Settings
from app.core.migrations import alembic_config
from tests.db_server import create_database, drop_database, unique_name
from tests.tenancy import LMS_TABLES

PARTITIONED = ("assignment_attempts", "lesson_assignments")
FOUNDATION = ("students", "teachers", "users")


@dataclass(frozen=True)
class Schema:
    tables: frozenset[str]
    partitions: dict[str, list[str]]
    without_rls: frozenset[str]
    policies: frozenset[tuple[str, str]]
    sequences: frozenset[str]
    version: str


async def _inspect(url: URL) -> Schema:
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        tables = await connection.fetch(
            "SELECT c.relname, c.relrowsecurity FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
        )
        partitions: dict[str, list[str]] = {}
        for parent in PARTITIONED:
            rows = await connection.fetch(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1 ORDER BY 1",
                parent,
            )
            partitions[parent] = [row[0] for row in rows]
        policies = await connection.fetch(
            "SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public'"
        )
        sequences = await connection.fetch(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
        )
        version = await connection.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await connection.close()
    return Schema(
        tables=frozenset(row[0] for row in tables),
        partitions=partitions,
        without_rls=frozenset(row[0] for row in tables if not row[1]),
        policies=frozenset((row[0], row[1]) for row in policies),
        sequences=frozenset(row[0] for row in sequences),
        version=str(version),
    )


def inspect(url: URL) -> Schema:
    return asyncio.run(_inspect(url))


def assert_lms_present(schema: Schema) -> None:
    assert set(LMS_TABLES) <= schema.tables
    for parent in PARTITIONED:
        assert schema.partitions[parent] == [f"{parent}_p{n:02d}" for n in range(16)]
        assert set(schema.partitions[parent]) <= schema.tables
    lms_and_partitions = set(LMS_TABLES).union(*schema.partitions.values())
    assert not lms_and_partitions & schema.without_rls
    for table in LMS_TABLES:
        assert (table, "teacher_access") in schema.policies
    assert ("lesson_assignments", "student_select") in schema.policies
    assert ("lesson_assignments", "student_update") in schema.policies
    assert {"lesson_assignments_id_seq", "assignment_attempts_id_seq"} <= schema.sequences


def assert_lms_absent(schema: Schema) -> None:
    assert schema.version == "0001"
    assert set(FOUNDATION) <= schema.tables  # 0001 itself stays
    leftovers = {
        name
        for name in schema.tables
        if name in LMS_TABLES or name.startswith(tuple(f"{p}_p" for p in PARTITIONED))
    }
    assert leftovers == set()
    assert schema.partitions == {parent: [] for parent in PARTITIONED}
    assert not {table for table, _ in schema.policies} & set(LMS_TABLES)
    assert not {name for name in schema.sequences if name.startswith(PARTITIONED)}


def test_lms_migration_upgrades_downgrades_and_upgrades_again(
    server_url: URL, settings: Settings
) -> None:
    name = unique_name("tutor_lms_migration")
    url = create_database(server_url, name)
    try:
        config = alembic_config(url, settings)
        command.upgrade(config, "head")
        first = inspect(url)
        assert_lms_present(first)

        command.downgrade(config, "0001")
        assert_lms_absent(inspect(url))

        command.upgrade(config, "head")
        again = inspect(url)
        assert_lms_present(again)
        assert again == first
    finally:
        drop_database(server_url, name)
