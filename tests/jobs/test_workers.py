"""Several workers: each job runs once, and a periodic job runs once per period."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import jobs
from app.core.actor import Actor
from app.core.config import Settings
from app.core.database import Database
from tests.jobs.conftest import (
    KEPT_SESSIONS,
    Sessions,
    eventually,
    job_rows,
    registered_workers,
    running_workers,
)
from tests.jobs.tasks import Recorder, make_test_app


async def test_twenty_jobs_and_two_workers_run_each_job_once(
    jobs_settings: Settings, committed: Database, app_url: URL, owner_engine: AsyncEngine
) -> None:
    recorder = Recorder()
    # Two apps, two connection pools: two workers as independent as two processes.
    one, two = make_test_app(app_url, recorder), make_test_app(app_url, recorder)
    labels = [f"job {n}" for n in range(20)]

    async def all_done() -> bool:
        rows = await job_rows(owner_engine, "tests.record")
        return len(rows) == 20 and all(row["status"] == "succeeded" for row in rows)

    async def both_listening() -> bool:
        return await registered_workers(owner_engine) == 2

    async with (
        one.app.open_async(),
        two.app.open_async(),
        running_workers(jobs_settings, committed, (one.app, "one"), (two.app, "two")),
    ):
        await eventually(both_listening)
        async with committed.transaction(Actor.system()) as session:
            for label in labels:
                await jobs.defer(session, one.record, label=label)
        await eventually(all_done)

    assert recorder.counts() == Counter(dict.fromkeys(labels, 1))
    assert recorder.workers() == {"one", "two"}, "one worker took every job"
    rows = await job_rows(owner_engine, "tests.record")
    assert {row["attempts"] for row in rows} == {1}
    assert await registered_workers(owner_engine) == 0, "a stopped worker stays registered"


async def test_a_periodic_job_runs_once_per_period_with_two_workers(
    jobs_settings: Settings, committed: Database, app_url: URL, owner_engine: AsyncEngine
) -> None:
    """Every second, two workers' deferrers both try; the database lets one job through."""
    recorder = Recorder()
    one = make_test_app(app_url, recorder, tick_every_second=True)
    two = make_test_app(app_url, recorder, tick_every_second=True)

    async def three_ticks_done() -> bool:
        rows = await job_rows(owner_engine, "tests.tick")
        return sum(row["status"] == "succeeded" for row in rows) >= 3

    async with (
        one.app.open_async(),
        two.app.open_async(),
        running_workers(jobs_settings, committed, (one.app, "one"), (two.app, "two")),
    ):
        await eventually(three_ticks_done)

    rows = await job_rows(owner_engine, "tests.tick")
    timestamps = [row["args"]["timestamp"] for row in rows]  # type: ignore[index]
    assert len(timestamps) == len(set(timestamps)), f"a period deferred twice: {timestamps}"
    assert sorted(timestamps) == list(range(min(timestamps), max(timestamps) + 1))
    ran = recorder.counts()
    assert set(ran.values()) == {1}, f"a period ran twice: {ran}"
    succeeded = {row["args"]["timestamp"] for row in rows if row["status"] == "succeeded"}  # type: ignore[index]
    assert set(ran) == succeeded


async def test_the_session_cleanup_runs_once_with_two_workers_and_keeps_recent_sessions(
    jobs_settings: Settings,
    committed: Database,
    app_url: URL,
    owner_engine: AsyncEngine,
    ended_sessions: Sessions,
) -> None:
    """The real periodic job on the project's app: each worker starting catches up the hour's
    missed tick, and that tick runs once."""

    async def cleaned() -> bool:
        rows = await job_rows(owner_engine, "auth.cleanup_sessions")
        return [row["status"] for row in rows] == ["succeeded"]

    async def both_started() -> bool:
        return await registered_workers(owner_engine) == 2

    async with (
        jobs.open_jobs(app_url, jobs_settings) as app,
        running_workers(jobs_settings, committed, (app, "one"), (app, "two")),
    ):
        await eventually(both_started)
        await eventually(cleaned)
        await asyncio.sleep(0.5)  # the slower deferrer has tried too

    rows = await job_rows(owner_engine, "auth.cleanup_sessions")
    assert len(rows) == 1
    tick = rows[0]["args"]["timestamp"]  # type: ignore[index]
    assert time.time() - 3600 < tick <= time.time()
    async with owner_engine.connect() as connection:
        defers = await connection.execute(
            text(
                "SELECT task_name, defer_timestamp FROM procrastinate.procrastinate_periodic_defers"
            )
        )
        assert defers.all() == [("auth.cleanup_sessions", tick)]
    assert await ended_sessions.left(owner_engine) == KEPT_SESSIONS
