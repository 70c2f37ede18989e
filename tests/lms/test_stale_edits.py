"""No lost edits: an edit carries the state it was based on (`base_updated_at`, the one token for
blocks and settings: it moves with every save) and a stale one is 409 `stale_version` that
changes nothing; the builder's first read takes the row lock, so two concurrent steps on one
lesson both land.

The concurrent cases run on committed transactions over two real connections of the app role
(the per-test rolled-back transaction cannot show two transactions waiting on each other); their
data is deleted afterwards. Inside one transaction `updated_at` still moves: saves take it from
the clock, not from `now()`."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from app.core.actor import Actor
from app.core.config import Settings
from app.core.database import Database, make_sessionmaker
from app.core.errors import StaleVersion
from app.models.users import Role
from app.schemas.accounts import TeacherCreate
from app.schemas.lms import LessonCreate, LessonRead, LessonUpdate
from app.services.admin import teachers as teacher_service
from app.services.lms import builder
from app.services.lms import lessons as lesson_service
from tests.conftest import PASSWORD, People, login_as, teacher_actor
from tests.lms.helpers import act_as_teacher, create_lesson, ok, quiz_lesson


def block(block_id: str, markdown: str = "added") -> dict[str, Any]:
    return {"id": block_id, "type": "text", "markdown": markdown}


async def version_rows(connection: AsyncConnection, teacher_id: int, lesson_id: int) -> list[int]:
    await act_as_teacher(connection, teacher_id)
    rows = await connection.scalars(
        text("SELECT version FROM lesson_versions WHERE teacher_id = :t AND lesson_id = :l"),
        {"t": teacher_id, "l": lesson_id},
    )
    return sorted(rows.all())


# --- the JSON API (one transaction per test, rolled back)


async def test_a_stale_patch_is_409_and_changes_nothing(
    client: httpx.AsyncClient, people: People, connection: AsyncConnection
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson = await create_lesson(client, quiz_lesson(title="Start"))
    url = f"/api/v1/lessons/{lesson['id']}"
    content, seen = lesson["content"], lesson["updated_at"]

    # Tab one saves new content: still version 1 (nobody was given it), a new `updated_at`.
    edited = await ok(
        await client.patch(url, json={"content": [*content, block("t1")], "base_updated_at": seen})
    )
    assert edited["version"] == 1 and edited["updated_at"] != seen

    # Tab two still shows the first state: its edit is refused, title and content alike.
    stale = await client.patch(
        url, json={"title": "Tab two", "content": [*content, block("t2")], "base_updated_at": seen}
    )
    assert stale.status_code == 409, stale.text
    assert stale.json() == {
        "detail": "Урок тем временем изменился: обновите страницу, чтобы увидеть последнюю версию",
        "code": "stale_version",
        "field": None,
    }
    after = await ok(await client.get(url))
    assert after == edited
    assert await version_rows(connection, teacher.id, lesson["id"]) == [1]

    # Based on what it now shows, the edit goes through; without a base it always does.
    fresh = await ok(
        await client.patch(url, json={"title": "Tab two", "base_updated_at": edited["updated_at"]})
    )
    assert (fresh["title"], fresh["version"]) == ("Tab two", 1)
    unguarded = await ok(await client.patch(url, json={"title": "No base"}))
    assert unguarded["title"] == "No base"
    future = await client.patch(
        url, json={"title": "Future", "base_updated_at": "2030-01-01T10:00:00+00:00"}
    )
    assert future.status_code == 409
    assert (await ok(await client.get(url)))["title"] == "No base"


async def test_base_fields_are_validated(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson = await create_lesson(client, quiz_lesson())
    url = f"/api/v1/lessons/{lesson['id']}"
    for body in (
        {"base_version": 1},  # no such token any more: `updated_at` is the one
        {"base_updated_at": "2026-01-01T10:00:00"},  # no time zone
        {"base_updated_at": "yesterday"},
    ):
        response = await client.patch(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] in body


# --- builder steps (service level, rolled back)


Step = Callable[[Any, Actor, int, datetime | None], Awaitable[LessonRead]]


def steps() -> dict[str, Step]:
    return {
        "add": lambda s, a, lid, base: builder.add_block(
            s, a, lid, block("new"), base_updated_at=base
        ),
        "replace": lambda s, a, lid, base: builder.replace_block(
            s, a, lid, "intro", {"type": "text", "markdown": "changed"}, base_updated_at=base
        ),
        "move": lambda s, a, lid, base: builder.move_block(
            s, a, lid, "q1", "up", base_updated_at=base
        ),
        "remove": lambda s, a, lid, base: builder.remove_block(
            s, a, lid, "q2", base_updated_at=base
        ),
    }


@pytest.mark.parametrize("step", ["add", "replace", "move", "remove"])
async def test_a_stale_builder_step_raises_and_writes_nothing(
    step: str, people: People, database: Database, connection: AsyncConnection
) -> None:
    teacher = await people.teacher()
    actor = teacher_actor(teacher)
    async with database.transaction(actor) as session:
        lesson = await lesson_service.create_lesson(
            session, actor, LessonCreate.model_validate(quiz_lesson())
        )
        assert lesson.id is not None
        moved_on = await builder.add_block(session, actor, lesson.id, block("other"))
    assert moved_on.version == 1 and moved_on.updated_at != lesson.updated_at

    run = steps()[step]
    with pytest.raises(StaleVersion):
        async with database.transaction(actor) as session:
            await run(session, actor, lesson.id, lesson.updated_at)
    async with database.transaction(actor) as session:
        unchanged = await lesson_service.get_lesson(session, actor, lesson.id)
    assert unchanged == moved_on
    assert await version_rows(connection, teacher.id, lesson.id) == [1]

    async with database.transaction(actor) as session:
        done = await run(session, actor, lesson.id, moved_on.updated_at)
    assert done.version == 1 and done.updated_at != moved_on.updated_at
    assert done.content != moved_on.content


# --- two real transactions, committed


@pytest.fixture
async def owner_engine(owner_url: URL) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(owner_url, poolclass=NullPool)
    yield engine
    await engine.dispose()


@pytest.fixture
def committed(app_engine: AsyncEngine) -> Database:
    """Sessions that really commit, each on its own connection of the app role."""
    return Database(engine=app_engine, sessionmaker=make_sessionmaker(app_engine))


class Tenant:
    def __init__(self, actor: Actor, email: str, lesson: LessonRead) -> None:
        self.actor = actor
        self.email = email
        self.lesson = lesson

    @property
    def lesson_id(self) -> int:
        assert self.lesson.id is not None
        return self.lesson.id


@pytest.fixture
async def tenant(
    committed: Database, settings: Settings, owner_engine: AsyncEngine
) -> AsyncIterator[Tenant]:
    """A committed teacher with a committed quiz lesson (version 1), deleted afterwards."""
    superuser = Actor(role=Role.SUPERUSER, user_id=0)
    email = f"stale-{uuid.uuid4().hex[:12]}@example.com"
    async with committed.transaction(superuser) as session:
        teacher = await teacher_service.create_teacher(
            session,
            superuser,
            settings,
            TeacherCreate.model_validate(
                {"email": email, "password": PASSWORD, "name": "Tina", "surname": "Teacher"}
            ),
        )
    actor = teacher_actor(teacher)
    try:
        async with committed.transaction(actor) as session:
            lesson = await lesson_service.create_lesson(
                session, actor, LessonCreate.model_validate(quiz_lesson())
            )
        yield Tenant(actor, email, lesson)
    finally:
        async with owner_engine.begin() as connection:
            # Cascades to the tenant row, its lessons and their versions, its login sessions.
            await connection.execute(text("DELETE FROM users WHERE id = :t"), {"t": teacher.id})


async def wait_until_blocked_on_a_lock(owner_engine: AsyncEngine, count: int = 1) -> None:
    """Until `count` backends wait for a lock (the second transaction reached the row lock)."""
    deadline = time.monotonic() + 10
    while True:
        async with owner_engine.connect() as connection:
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        if waiting and waiting >= count:
            return
        assert time.monotonic() < deadline, "the second transaction never waited for the lock"
        await asyncio.sleep(0.02)


async def test_two_concurrent_block_adds_both_land(
    tenant: Tenant, committed: Database, owner_engine: AsyncEngine
) -> None:
    actor, lesson_id = tenant.actor, tenant.lesson_id

    async def second_tab() -> LessonRead:
        async with committed.transaction(actor) as session:
            # The page reads the lesson first, unlocked, before the first tab commits: the
            # step's locked read must still start from the committed row, not this one.
            shown = await lesson_service.get_owned_lesson(session, actor, lesson_id)
            assert [b["id"] for b in shown.content] == ["intro", "q1", "q2"]
            first_may_commit.set()
            return await builder.add_block(session, actor, lesson_id, block("two"))

    first_may_commit = asyncio.Event()
    async with committed.transaction(actor) as session:
        first = await builder.add_block(session, actor, lesson_id, block("one"))
        second = asyncio.create_task(second_tab())
        await first_may_commit.wait()
        await wait_until_blocked_on_a_lock(owner_engine)
        assert not second.done()
    result = await second
    # Nobody was given the lesson: one version throughout; each save its own `updated_at`.
    assert (first.version, result.version) == (1, 1)
    assert result.updated_at > first.updated_at
    assert [b.id for b in result.content] == ["intro", "q1", "q2", "one", "two"]

    async with committed.transaction(actor) as session:
        final = await lesson_service.get_lesson(session, actor, lesson_id)
    assert final == result


async def test_a_concurrent_step_on_the_old_version_is_stale(
    tenant: Tenant, committed: Database, owner_engine: AsyncEngine
) -> None:
    actor, lesson_id, seen = tenant.actor, tenant.lesson_id, tenant.lesson.updated_at

    async def second_tab() -> LessonRead:
        async with committed.transaction(actor) as session:
            return await builder.add_block(
                session, actor, lesson_id, block("two"), base_updated_at=seen
            )

    async with committed.transaction(actor) as session:
        first = await builder.add_block(
            session, actor, lesson_id, block("one"), base_updated_at=seen
        )
        second = asyncio.create_task(second_tab())
        await wait_until_blocked_on_a_lock(owner_engine)
    with pytest.raises(StaleVersion):
        await second

    async with committed.transaction(actor) as session:
        final = await lesson_service.get_lesson(session, actor, lesson_id)
    assert final == first
    assert [b.id for b in final.content] == ["intro", "q1", "q2", "one"]


async def test_settings_edits_are_guarded_by_updated_at(
    tenant: Tenant, committed: Database, settings: Settings
) -> None:
    """Two tabs' settings forms: `version` does not move on a settings change, `updated_at`
    does, so the second form's stale title cannot overwrite the first tab's."""
    actor, lesson_id, seen = tenant.actor, tenant.lesson_id, tenant.lesson.updated_at

    async with committed.transaction(actor) as session:
        renamed = await lesson_service.update_lesson(
            session, actor, lesson_id, LessonUpdate(title="Tab one", base_updated_at=seen)
        )
    assert renamed.version == 1 and renamed.updated_at > seen

    with pytest.raises(StaleVersion):
        async with committed.transaction(actor) as session:
            await lesson_service.update_lesson(
                session,
                actor,
                lesson_id,
                LessonUpdate(title="Quiz", status="draft", base_updated_at=seen),
            )
    async with committed.transaction(actor) as session:
        current = await lesson_service.get_lesson(session, actor, lesson_id)
    assert (current.title, current.status) == ("Tab one", "published")
    assert current == renamed

    async with committed.transaction(actor) as session:
        drafted = await lesson_service.update_lesson(
            session,
            actor,
            lesson_id,
            LessonUpdate(status="draft", base_updated_at=renamed.updated_at),
        )
    assert (drafted.title, drafted.status) == ("Tab one", "draft")


async def test_a_stale_patch_over_http_with_updated_at(
    tenant: Tenant, committed: Database, settings: Settings
) -> None:
    from app.main import create_app

    app = create_app(settings, committed)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await login_as(client, tenant.email)
        url = f"/api/v1/lessons/{tenant.lesson_id}"
        shown = await ok(await client.get(url))
        first = await client.patch(
            url, json={"title": "One", "base_updated_at": shown["updated_at"]}
        )
        assert first.status_code == 200, first.text
        second = await client.patch(
            url, json={"subject": "Two", "base_updated_at": shown["updated_at"]}
        )
        assert second.status_code == 409
        assert second.json()["code"] == "stale_version"
        after = await ok(await client.get(url))
        assert (after["title"], after["subject"]) == ("One", None)
        assert after == first.json()
