"""Background jobs: one procrastinate app for every job, deferred inside the caller's transaction.

- Tasks live beside their feature (`app/services/<feature>/jobs.py`) and register on `jobs_app`;
  `TASK_MODULES` is the one list of those modules, so every worker knows every task.
- `defer(session, task, **args)` enqueues through the caller's own SQLAlchemy transaction: the
  job exists, and a worker is notified, only if that request (or command, or job) commits.
- Workers use procrastinate's psycopg connector (its own pool and a LISTEN connection) as the
  app role, on the `procrastinate` schema that migration 0006 creates.
- A task works through `job_database(context).transaction(actor)`: `Actor.system()` for a
  platform-wide chore, `Actor.system_for(teacher_id)` for one tenant (whose RLS binds it). A job
  for a tenant carries the tenant's id in its arguments.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import JobDeferrer
from procrastinate.manager import QUEUEING_LOCK_CONSTRAINT
from procrastinate.tasks import Task
from psycopg.conninfo import make_conninfo
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.database import Database
from app.core.events import EventBus

SCHEMA = "procrastinate"
# Every module that defines tasks; a worker imports them all before it fetches a job.
TASK_MODULES = ("app.services.auth.jobs", "app.services.auth.password_reset")
DATABASE_KEY = "database"
SETTINGS_KEY = "settings"
# A starting worker defers the latest tick of a periodic task it finds missed if that tick is at
# most this old (procrastinate's default is 10 minutes): the periodic jobs are hourly chores, and
# `make run` restarted within the hour should still run the one it missed.
PERIODIC_MAX_DELAY_SECONDS = 3600
# On stop, running jobs get this long to finish; then they are aborted.
SHUTDOWN_GRACE_SECONDS = 30.0

# The connector is a placeholder until `open_jobs` puts in one for the configured database; so
# code defers with `defer(session, ...)`, never with procrastinate's own `task.defer()`.
jobs_app = App(
    connector=PsycopgConnector(),
    import_paths=TASK_MODULES,
    periodic_defaults={"max_delay": PERIODIC_MAX_DELAY_SECONDS},
)

# procrastinate's own `defer_jobs` query, its function called by its schema-qualified name.
_DEFER = text(
    "SELECT unnest(procrastinate.procrastinate_defer_jobs_v1(ARRAY[ROW("
    "CAST(:queue AS varchar), CAST(:task_name AS varchar), CAST(:priority AS integer),"
    " CAST(:lock AS text), CAST(:queueing_lock AS text), CAST(:args AS jsonb),"
    " CAST(:scheduled_at AS timestamptz)"
    ")]::procrastinate.procrastinate_job_to_defer_v1[])) AS id"
)


class JobsSchemaMissing(RuntimeError):
    """The database has no procrastinate schema yet (migrations have not run)."""


async def defer(
    session: AsyncSession, task: Task[Any, Any, Any] | JobDeferrer, **task_kwargs: Any
) -> int:
    """Enqueue a job in the session's transaction; it exists only if that transaction commits.

    `task` is a task, or `task.configure(queueing_lock=..., schedule_in=...)` for job options.
    A job whose queueing lock is taken raises `AlreadyEnqueued`; the transaction goes on.
    """
    deferrer = task.configure() if isinstance(task, Task) else task
    job = deferrer.make_new_job(**task_kwargs)
    params = {
        "queue": job.queue,
        "task_name": job.task_name,
        "priority": job.priority,
        "lock": job.lock,
        "queueing_lock": job.queueing_lock,
        "args": json.dumps(job.task_kwargs),
        "scheduled_at": job.scheduled_at,
    }
    if job.queueing_lock is None:
        return int((await session.execute(_DEFER, params)).scalar_one())
    try:
        # A savepoint: the unique violation of a taken lock must not abort the caller's work.
        async with session.begin_nested():
            return int((await session.execute(_DEFER, params)).scalar_one())
    except IntegrityError as error:
        if QUEUEING_LOCK_CONSTRAINT not in str(error.orig):
            raise
        raise AlreadyEnqueued(
            f"a job with the queueing lock {job.queueing_lock} is already waiting"
        ) from error


def job_database(context: JobContext) -> Database:
    """The app role's database that the worker hands to its jobs."""
    database: Database = context.additional_context[DATABASE_KEY]
    return database


def job_settings(context: JobContext) -> Settings:
    """The worker's settings (a job that sends mail needs the SMTP server)."""
    settings: Settings = context.additional_context[SETTINGS_KEY]
    return settings


def conninfo(url: URL) -> str:
    """libpq parameters for a SQLAlchemy URL (a Unix socket comes as `?host=/dir`), with
    procrastinate's schema as the search path of its unqualified queries."""
    host = url.host or url.query.get("host")
    sslmode = url.query.get("sslmode") or url.query.get("ssl")
    return make_conninfo(
        host=host if isinstance(host, str) else None,
        port=url.port,
        dbname=url.database,
        user=url.username,
        password=url.password if isinstance(url.password, str) else None,
        sslmode=sslmode if isinstance(sslmode, str) else None,
        application_name="tutor-jobs",
        options=f"-c search_path={SCHEMA}",
    )


def make_connector(app_url: URL, *, max_size: int) -> PsycopgConnector:
    return PsycopgConnector(conninfo=conninfo(app_url), min_size=1, max_size=max_size)


@asynccontextmanager
async def open_jobs(app_url: URL, settings: Settings) -> AsyncIterator[App]:
    """`jobs_app` connected to the database as the app role, for a worker (or a test)."""
    # Fetching takes a connection per running job; heartbeats and the periodic deferrer, one more.
    connector = make_connector(app_url, max_size=settings.jobs_concurrency + 2)
    with jobs_app.replace_connector(connector):
        async with jobs_app.open_async():
            if not await jobs_app.check_connection_async():
                raise JobsSchemaMissing(
                    "the jobs schema is missing: run `python -m app.manage migrate` first"
                )
            yield jobs_app


async def run_worker(app: App, database: Database, settings: Settings, **options: Any) -> None:
    """Run a worker of `app` until it is stopped (by a signal, or by cancelling this coroutine);
    its jobs get `database`. `options` are procrastinate's worker options."""
    await app.run_worker_async(
        **{
            "concurrency": settings.jobs_concurrency,
            "shutdown_graceful_timeout": SHUTDOWN_GRACE_SECONDS,
            "additional_context": {DATABASE_KEY: database, SETTINGS_KEY: settings},
            **options,
        }
    )


async def work(settings: Settings, app_url: URL, *, events: EventBus, **options: Any) -> None:
    """A worker for the platform: its own connection pools as the app role, until stopped.
    `events` is the bus its jobs publish to (the start-up's `app.subscriptions`)."""
    database = Database.connect(
        app_url, settings.model_copy(update={"db_pool_size": settings.jobs_concurrency})
    )
    database.events = events
    try:
        async with open_jobs(app_url, settings) as app:
            await run_worker(app, database, settings, **options)
    finally:
        await database.dispose()
