"""Tasks that only the tests define, on procrastinate apps of their own.

Each test app gets its own connection pool from `app.core.jobs.make_connector`, like a worker
process would, so two of them are two independent workers. The project's `jobs_app` carries
only the real tasks (the periodic session cleanup); tests that use it say so.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from procrastinate import App, JobContext
from procrastinate.tasks import Task
from sqlalchemy import text
from sqlalchemy.engine import URL

from app.core import jobs
from app.core.actor import Actor


@dataclass
class Recorder:
    """What the test tasks did, in this process: (worker name, argument) per run."""

    runs: list[tuple[str | None, Any]] = field(default_factory=list)
    seen: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def counts(self) -> Counter[Any]:
        return Counter(value for _, value in self.runs)

    def workers(self) -> set[str | None]:
        return {worker for worker, _ in self.runs}


@dataclass
class AppWithTasks:
    app: App
    record: Task[Any, Any, Any]
    read_tenant: Task[Any, Any, Any]


def make_test_app(
    app_url: URL, recorder: Recorder, *, tick_every_second: bool = False
) -> AppWithTasks:
    app = App(connector=jobs.make_connector(app_url, max_size=4))

    @app.task(name="tests.record", pass_context=True)
    async def record(context: JobContext, label: str) -> None:
        recorder.runs.append((context.worker_name, label))
        await asyncio.sleep(0.02)  # long enough that two workers both get some of a batch

    @app.task(name="tests.read_tenant", pass_context=True)
    async def read_tenant(context: JobContext, teacher_id: int | None, label: str) -> None:
        actor = Actor.system() if teacher_id is None else Actor.system_for(teacher_id)
        async with jobs.job_database(context).transaction(actor) as session:
            seen: dict[str, list[int]] = {}
            for table in ("students", "lessons"):
                rows = await session.execute(text(f"SELECT teacher_id FROM {table}"))
                seen[table] = sorted(rows.scalars())
            # Writing another tenant's rows: the policies hide them, so nothing changes.
            changed = await session.execute(
                text("UPDATE lessons SET title = 'taken' WHERE teacher_id <> :t"),
                {"t": teacher_id or 0},
            )
            seen["foreign_lessons_changed"] = [changed.rowcount]  # type: ignore[attr-defined]
        recorder.seen[label] = seen
        recorder.runs.append((context.worker_name, label))

    if tick_every_second:

        @app.periodic(cron="* * * * * *")
        @app.task(name="tests.tick", pass_context=True)
        async def tick(context: JobContext, timestamp: int) -> None:
            recorder.runs.append((context.worker_name, timestamp))

    return AppWithTasks(app=app, record=record, read_tenant=read_tenant)
