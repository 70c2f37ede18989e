"""Row-Level Security binds what a job reads: a job acts for one tenant at a time."""

from __future__ import annotations

from sqlalchemy.engine import URL

from app.core import jobs
from app.core.actor import Actor
from app.core.config import Settings
from app.core.database import Database
from tests.jobs.conftest import Tenant
from tests.jobs.tasks import Recorder, make_test_app


async def test_a_job_for_one_tenant_sees_only_that_tenants_rows(
    jobs_settings: Settings,
    committed: Database,
    app_url: URL,
    two_tenants: tuple[Tenant, Tenant],
) -> None:
    a, b = two_tenants
    recorder = Recorder()
    tasks = make_test_app(app_url, recorder)
    async with committed.transaction(Actor.system()) as session:
        await jobs.defer(session, tasks.read_tenant, teacher_id=a.teacher_id, label="for a")
        await jobs.defer(session, tasks.read_tenant, teacher_id=b.teacher_id, label="for b")
    async with tasks.app.open_async():
        await jobs.run_worker(
            tasks.app, committed, jobs_settings, wait=False, install_signal_handlers=False
        )

    # The query named no tenant; the policies did.
    for tenant, label in ((a, "for a"), (b, "for b")):
        assert recorder.seen[label] == {
            "students": [tenant.teacher_id] * 2,
            "lessons": [tenant.teacher_id] * 2,
            "foreign_lessons_changed": [0],
        }


async def test_a_job_without_a_tenant_is_platform_wide(
    jobs_settings: Settings,
    committed: Database,
    app_url: URL,
    two_tenants: tuple[Tenant, Tenant],
) -> None:
    """`Actor.system()` (the session cleanup's actor) is what the policies' 'system' arms open:
    every tenant's students and lessons. A job touching tenant data must use `system_for`."""
    a, b = two_tenants
    recorder = Recorder()
    tasks = make_test_app(app_url, recorder)
    async with committed.transaction(Actor.system()) as session:
        await jobs.defer(session, tasks.read_tenant, teacher_id=None, label="platform")
    async with tasks.app.open_async():
        await jobs.run_worker(
            tasks.app, committed, jobs_settings, wait=False, install_signal_handlers=False
        )

    both = sorted([a.teacher_id] * 2 + [b.teacher_id] * 2)
    assert recorder.seen["platform"] == {
        "students": both,
        "lessons": both,
        "foreign_lessons_changed": [4],
    }
