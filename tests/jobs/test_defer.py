"""A job deferred inside a request (or a command) is enqueued only if that transaction commits."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.deps import SessionDep
from app.core import jobs
from app.core.actor import Actor
from app.core.config import Settings
from app.core.cookies import CSRF_COOKIE, CSRF_HEADER
from app.core.database import Database
from app.core.errors import Conflict
from app.main import create_app
from tests.jobs.conftest import job_rows
from tests.jobs.tasks import Recorder, make_test_app


async def test_a_job_deferred_in_a_rolled_back_request_never_runs(
    jobs_settings: Settings, committed: Database, app_url: URL, owner_engine: AsyncEngine
) -> None:
    recorder = Recorder()
    tasks = make_test_app(app_url, recorder)
    settings = jobs_settings.model_copy(
        update={"excluded_paths": (*jobs_settings.excluded_paths, "/test-jobs")}
    )
    web = create_app(settings, committed)

    # A route as thin as the real ones: the request's own session, a job, then maybe an error.
    @web.post("/test-jobs/defer")
    async def defer_in_request(session: SessionDep, label: str, fail: bool = False) -> int:
        job_id = await jobs.defer(session, tasks.record, label=label)
        if fail:
            raise Conflict("the request failed after deferring its job")
        return job_id

    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        failed = await client.post("/test-jobs/defer", params={"label": "rolled back", "fail": 1})
        client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]  # as a page would echo it
        done = await client.post("/test-jobs/defer", params={"label": "committed"})
    assert failed.status_code == 409, failed.text
    assert done.status_code == 200, done.text

    rows = await job_rows(owner_engine, "tests.record")
    assert [row["args"] for row in rows] == [{"label": "committed"}]
    assert rows[0]["id"] == done.json()

    async with tasks.app.open_async():
        await jobs.run_worker(
            tasks.app, committed, jobs_settings, wait=False, install_signal_handlers=False
        )
    assert recorder.counts() == Counter({"committed": 1})
    rows = await job_rows(owner_engine, "tests.record")
    assert [(row["status"], row["attempts"]) for row in rows] == [("succeeded", 1)]


async def test_a_job_deferred_in_a_failed_command_transaction_never_exists(
    committed: Database, app_url: URL, owner_engine: AsyncEngine
) -> None:
    tasks = make_test_app(app_url, Recorder())
    with pytest.raises(RuntimeError):
        async with committed.transaction(Actor.system()) as session:
            await jobs.defer(session, tasks.record, label="rolled back")
            raise RuntimeError("the command failed after deferring its job")
    assert await job_rows(owner_engine, "tests.record") == []


async def test_a_taken_queueing_lock_refuses_the_job_and_keeps_the_transaction(
    committed: Database, app_url: URL, owner_engine: AsyncEngine
) -> None:
    tasks = make_test_app(app_url, Recorder())
    async with committed.transaction(Actor.system()) as session:
        once = tasks.record.configure(queueing_lock="once")
        await jobs.defer(session, once, label="first")
        with pytest.raises(AlreadyEnqueued):
            await jobs.defer(session, once, label="second")
        await jobs.defer(session, tasks.record, label="after")
    rows = await job_rows(owner_engine, "tests.record")
    assert [row["args"] for row in rows] == [{"label": "first"}, {"label": "after"}]
