"""The PostgreSQL the tests run against: the embedded wheel by default, or the server named by
TEST_DATABASE_URL / DATABASE_URL (for example the machine's PostgreSQL 15). Each test session
gets a fresh database, migrated by the owner and used by the RLS-bound app role."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

from app.core.config import PROJECT_ROOT
from app.core.embedded_db import start_embedded_postgres

TEST_VAR_DIR = PROJECT_ROOT / "var"


@dataclass(frozen=True)
class TestDatabase:
    owner_url: URL  # a superuser or the schema owner: migrations, scratch databases
    name: str


def _asyncpg_dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(url: URL, statement: str) -> None:
    # asyncpg takes the Unix-socket directory as ?host=..., like SQLAlchemy's URL does.
    connection = await asyncpg.connect(_asyncpg_dsn(url.set(database="postgres")))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_database(server_url: URL, name: str) -> URL:
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    return server_url.set(database=name)


def drop_database(server_url: URL, name: str) -> None:
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def configured_server_url() -> URL | None:
    raw = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not raw:
        return None
    url = make_url(raw)
    return url.set(drivername="postgresql+asyncpg")


@contextmanager
def test_server(data_dir: Path | None = None) -> Iterator[URL]:
    """A server URL for the session: the configured one, or a fresh embedded one (stopped after)."""
    configured = configured_server_url()
    if configured is not None:
        yield configured
        return
    # One server per test run (parallel runs, e.g. two terminals, never stop each other's).
    data_dir = data_dir or TEST_VAR_DIR / f"test-pg-{os.getpid()}"
    embedded = start_embedded_postgres(data_dir, database="postgres")
    try:
        yield embedded.owner_url
    finally:
        embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"
