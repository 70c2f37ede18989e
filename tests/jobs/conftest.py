"""Fixtures for background jobs: committed data, since a worker reads on connections of its own.

The rest of the suite works inside rolled-back transactions, which a worker can never see; so
these tests use a database of their own (migrated once, dropped at the end), commit for real,
and empty the queue and delete their rows after each test.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

import pytest
from procrastinate import App
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from app.core import jobs
from app.core.config import Settings
from app.core.database import Database
from app.core.migrations import upgrade_to_head
from tests.conftest import make_settings
from tests.db_server import create_database, drop_database, unique_name

QUEUE_TABLES = ", ".join(
    f"procrastinate.{table}"
    for table in (
        "procrastinate_events",
        "procrastinate_periodic_defers",
        "procrastinate_jobs",
        "procrastinate_workers",
    )
)


@pytest.fixture(scope="session")
def jobs_owner_url(server_url: URL) -> Iterator[URL]:
    name = unique_name("tutor_jobs")
    url = create_database(server_url, name)
    upgrade_to_head(url, make_settings(url))
    yield url
    drop_database(server_url, name)


@pytest.fixture(scope="session")
def jobs_settings(jobs_owner_url: URL) -> Settings:
    return make_settings(jobs_owner_url, jobs_concurrency=2)


@pytest.fixture(scope="session")
def app_url(jobs_settings: Settings, jobs_owner_url: URL) -> URL:
    """The application role's URL: what the app, the workers and their jobs connect as."""
    return jobs_settings.app_database_url_for(jobs_owner_url)


@pytest.fixture(scope="session")
async def owner_engine(jobs_owner_url: URL) -> AsyncIterator[AsyncEngine]:
    """The schema owner (RLS does not bind it): sets up and inspects what the tests check."""
    engine = create_async_engine(jobs_owner_url, poolclass=NullPool)
    yield engine
    await engine.dispose()


@pytest.fixture
async def committed(jobs_settings: Settings, app_url: URL) -> AsyncIterator[Database]:
    """The app's database as the app role, with real commits (no test transaction around)."""
    database = Database.connect(app_url, jobs_settings)
    yield database
    await database.dispose()


@pytest.fixture(autouse=True)
async def empty_queue(owner_engine: AsyncEngine) -> AsyncIterator[None]:
    async with owner_engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {QUEUE_TABLES} RESTART IDENTITY"))
    yield
    async with owner_engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {QUEUE_TABLES} RESTART IDENTITY"))


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait until `check()` is true (the workers run on their own schedule)."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out waiting for the workers"
        await asyncio.sleep(0.05)


async def job_rows(owner_engine: AsyncEngine, task_name: str) -> list[dict[str, object]]:
    async with owner_engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT id, status::text AS status, args, attempts, worker_id"
                " FROM procrastinate.procrastinate_jobs WHERE task_name = :task ORDER BY id"
            ),
            {"task": task_name},
        )
        return [dict(row._mapping) for row in rows]


async def registered_workers(owner_engine: AsyncEngine) -> int:
    async with owner_engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM procrastinate.procrastinate_workers")
        )
        return int(count or 0)


@contextlib.asynccontextmanager
async def running_workers(
    settings: Settings, database: Database, *workers: tuple[App, str]
) -> AsyncIterator[None]:
    """Workers (an app and a name each) running in this event loop until the block ends;
    stopped the way `serve` stops its worker, by cancelling it."""
    tasks = [
        asyncio.create_task(
            jobs.run_worker(
                app,
                database,
                settings,
                name=name,
                install_signal_handlers=False,
                fetch_job_polling_interval=0.2,
            )
        )
        for app, name in workers
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass(frozen=True)
class Tenant:
    teacher_id: int
    student_ids: frozenset[int]
    lesson_ids: frozenset[int]


@pytest.fixture
async def two_tenants(owner_engine: AsyncEngine) -> AsyncIterator[tuple[Tenant, Tenant]]:
    """Teachers A and B, each with two students and two lessons; committed, deleted after."""
    tenants = []
    async with owner_engine.begin() as connection:
        for label in ("a", "b"):
            teacher_id = await connection.scalar(
                text(
                    "INSERT INTO users (email, password_hash, role, name, surname, timezone,"
                    " language) VALUES (:email, 'x', 'teacher', 'T', :label, 'UTC', 'en')"
                    " RETURNING id"
                ),
                {"email": f"jobs-teacher-{label}-{unique_name('')}@example.com", "label": label},
            )
            await connection.execute(
                text("INSERT INTO teachers (id) VALUES (:id)"), {"id": teacher_id}
            )
            students = await connection.execute(
                text(
                    "INSERT INTO students (teacher_id) SELECT :t FROM generate_series(1, 2)"
                    " RETURNING id"
                ),
                {"t": teacher_id},
            )
            lessons = await connection.execute(
                text(
                    "INSERT INTO lessons (teacher_id, title, status, version)"
                    " SELECT :t, 'Lesson ' || n, 'draft', 1 FROM generate_series(1, 2) n"
                    " RETURNING id"
                ),
                {"t": teacher_id},
            )
            tenants.append(
                Tenant(
                    teacher_id=int(teacher_id),
                    student_ids=frozenset(students.scalars()),
                    lesson_ids=frozenset(lessons.scalars()),
                )
            )
    a, b = tenants
    yield a, b
    ids = [a.teacher_id, b.teacher_id]
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM lessons WHERE teacher_id = ANY(:ids)"), {"ids": ids}
        )
        await connection.execute(
            text("DELETE FROM students WHERE teacher_id = ANY(:ids)"), {"ids": ids}
        )
        await connection.execute(text("DELETE FROM users WHERE id = ANY(:ids)"), {"ids": ids})


# Login sessions by state, named in `user_agent`; the cleanup keeps an ended one for a week.
SESSIONS = {
    "active": ("now() + interval '20 days'", "NULL"),
    "expired yesterday": ("now() - interval '1 day'", "NULL"),
    "expired 8 days ago": ("now() - interval '8 days'", "NULL"),
    "logged out yesterday": ("now() + interval '20 days'", "now() - interval '1 day'"),
    "logged out 8 days ago": ("now() + interval '20 days'", "now() - interval '8 days'"),
}
KEPT_SESSIONS = {"active", "expired yesterday", "logged out yesterday"}


@dataclass(frozen=True)
class Sessions:
    user_id: int

    async def left(self, owner_engine: AsyncEngine) -> set[str]:
        async with owner_engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT user_agent FROM auth_sessions WHERE user_id = :u"),
                {"u": self.user_id},
            )
            return set(rows.scalars())


@pytest.fixture
async def ended_sessions(owner_engine: AsyncEngine) -> AsyncIterator[Sessions]:
    """One administrator's login sessions in every state (committed); deleted after."""
    async with owner_engine.begin() as connection:
        user_id = await connection.scalar(
            text(
                "INSERT INTO users (email, password_hash, role, name, surname, timezone,"
                " language) VALUES (:email, 'x', 'superuser', 'A', 'Admin', 'UTC', 'en')"
                " RETURNING id"
            ),
            {"email": f"jobs-admin-{unique_name('')}@example.com"},
        )
        for label, (expires_at, revoked_at) in SESSIONS.items():
            await connection.execute(
                text(
                    "INSERT INTO auth_sessions (id, user_id, family_id, refresh_token_hash,"
                    f" expires_at, revoked_at, user_agent) VALUES (gen_random_uuid(), :u,"
                    f" gen_random_uuid(), 'hash', {expires_at}, {revoked_at}, :label)"
                ),
                {"u": user_id, "label": label},
            )
    yield Sessions(user_id=int(user_id))
    async with owner_engine.begin() as connection:
        await connection.execute(text("DELETE FROM users WHERE id = :u"), {"u": user_id})
