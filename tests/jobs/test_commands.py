"""The commands, as real processes: `worker` runs jobs alone and stops cleanly on SIGTERM;
`serve` (what `make run` runs) has a worker beside the server; `cleanup-sessions` by hand."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import jobs
from app.core.actor import Actor
from app.core.config import PROJECT_ROOT, Settings
from app.core.database import Database
from app.services.auth import jobs as auth_jobs
from tests.jobs.conftest import KEPT_SESSIONS, Sessions, eventually, job_rows, registered_workers

# Settings the app reads from the environment; the parent's must not leak into the commands'.
INHERITED_SETTINGS = ("DB_", "APP_DB", "APP_DATABASE_URL", "DATABASE_URL", "JOBS_", "PORT")
CLEANUP = "auth.cleanup_sessions"

Start = Callable[..., tuple[subprocess.Popen[bytes], Path]]


def _environment(owner_url: URL, settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED_SETTINGS)}
    env.update(
        DATABASE_URL=owner_url.render_as_string(hide_password=False),
        SECRET_KEY=settings.secret_key.get_secret_value(),
        ENVIRONMENT="test",
        NO_COLOR="1",
    )
    return env


@pytest.fixture
def start(jobs_owner_url: URL, jobs_settings: Settings, tmp_path: Path) -> Iterator[Start]:
    """Start `python -m app.manage <args>`; whatever is still running at the end is killed."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"{args[0]}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "app.manage", *args],
            cwd=PROJECT_ROOT,
            env=_environment(jobs_owner_url, jobs_settings),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        return process, log

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def _stop(process: subprocess.Popen[bytes], signum: int, log: Path) -> str:
    process.send_signal(signum)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("did not stop:\n" + log.read_text()) from None
    return log.read_text()


async def _defer_cleanup(committed: Database, timestamp: int) -> None:
    async with committed.transaction(Actor.system()) as session:
        await jobs.defer(session, auth_jobs.cleanup_sessions, timestamp=timestamp)


async def _cleanups_succeeded(owner_engine: AsyncEngine, count: int) -> bool:
    rows = await job_rows(owner_engine, CLEANUP)
    return [row["status"] for row in rows] == ["succeeded"] * count


async def test_the_worker_command_runs_jobs_and_stops_cleanly_on_sigterm(
    start: Start, committed: Database, owner_engine: AsyncEngine, ended_sessions: Sessions
) -> None:
    process, log = start("worker")

    async def started() -> bool:
        assert process.poll() is None, log.read_text()
        return await registered_workers(owner_engine) == 1

    await eventually(started, timeout=30)
    # A starting worker runs the hour's missed cleanup itself; then one deferred from here.
    await eventually(lambda: _cleanups_succeeded(owner_engine, 1))
    await _defer_cleanup(committed, timestamp=0)
    await eventually(lambda: _cleanups_succeeded(owner_engine, 2))

    output = _stop(process, signal.SIGTERM, log)
    assert process.returncode == 0, output
    assert "Jobs worker stopped." in output
    assert "Traceback" not in output
    assert await registered_workers(owner_engine) == 0
    assert await ended_sessions.left(owner_engine) == KEPT_SESSIONS


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_runs_a_worker_beside_the_server(
    start: Start, committed: Database, owner_engine: AsyncEngine, ended_sessions: Sessions
) -> None:
    port = _free_port()
    process, log = start("serve", "--port", str(port))

    async def up() -> bool:
        assert process.poll() is None, log.read_text()
        async with httpx.AsyncClient() as client:
            try:
                response = await client.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
            except httpx.HTTPError:
                return False
        return response.status_code == 200

    await eventually(up, timeout=60)
    await eventually(lambda: _cleanups_succeeded(owner_engine, 1))
    await _defer_cleanup(committed, timestamp=0)
    await eventually(lambda: _cleanups_succeeded(owner_engine, 2))
    assert await ended_sessions.left(owner_engine) == KEPT_SESSIONS

    output = _stop(process, signal.SIGINT, log)
    assert "Traceback" not in output, output
    assert await registered_workers(owner_engine) == 0, "the worker did not unregister"


async def test_the_cleanup_sessions_command_deletes_what_the_job_would(
    start: Start, owner_engine: AsyncEngine, ended_sessions: Sessions
) -> None:
    process, log = start("cleanup-sessions")
    assert process.wait(timeout=60) == 0, log.read_text()
    assert "Deleted 2 ended login sessions." in log.read_text()
    assert await ended_sessions.left(owner_engine) == KEPT_SESSIONS
