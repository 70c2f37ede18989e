"""Folders as a tree: the library page nests them, a folder lists its subfolders' lessons too,
two folders of one name (any case, trimmed) at one level are refused with a translated message
at the field — by the service, and by the database's unique index when two requests race — and
a folder never moves into its own subtree."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from app.core.actor import Actor
from app.core.config import Settings
from app.core.database import Database, make_sessionmaker
from app.core.errors import Conflict
from app.models.users import Role
from app.schemas.accounts import TeacherCreate
from app.schemas.lms import FolderCreate
from app.services.admin import teachers as teacher_service
from app.services.lms import folders as folder_service
from tests.conftest import PASSWORD, People, login_as, teacher_actor
from tests.lms.helpers import create_lesson, ok, ok_list

NAME_TAKEN_RU = "Здесь уже есть папка с таким названием: выберите другое"


async def folder(client: httpx.AsyncClient, name: str, parent_id: int | None = None) -> int:
    body: dict[str, Any] = {"name": name, "parent_id": parent_id}
    created = await ok(await client.post("/api/v1/folders", json=body), 201)
    folder_id: int = created["id"]
    return folder_id


async def titles(client: httpx.AsyncClient, query: str) -> list[str]:
    page = await ok(await client.get(f"/api/v1/lessons{query}"))
    return sorted(item["title"] for item in page["items"])


async def test_a_folder_lists_the_lessons_of_its_subfolders(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    maths = await folder(client, "Maths")
    grade5 = await folder(client, "Grade 5", maths)
    fractions = await folder(client, "Fractions", grade5)
    other = await folder(client, "English")
    await create_lesson(client, {"title": "Top", "folder_id": maths})
    await create_lesson(client, {"title": "Middle", "folder_id": grade5})
    await create_lesson(client, {"title": "Deep", "folder_id": fractions})
    await create_lesson(client, {"title": "Elsewhere", "folder_id": other})
    await create_lesson(client, {"title": "Loose"})

    assert await titles(client, f"?folder_id={maths}") == ["Deep", "Middle", "Top"]
    assert await titles(client, f"?folder_id={grade5}") == ["Deep", "Middle"]
    assert await titles(client, f"?folder_id={fractions}") == ["Deep"]
    assert await titles(client, f"?folder_id={maths}&subfolders=false") == ["Top"]
    assert await titles(client, f"?folder_id={other}") == ["Elsewhere"]

    # The page: nested lists, the parent's lessons include the deep one.
    page = await client.get(f"/lessons?folder_id={maths}")
    assert page.status_code == 200
    html = page.text
    tree = html[html.index('class="folder-list folder-tree"') :]
    # Fractions sits in a list inside Grade 5's item, which sits inside Maths's item.
    nested = re.search(
        rf'folder_id={maths}".*?<ul class="folder-children".*?folder_id={grade5}".*?'
        rf'<ul class="folder-children".*?folder_id={fractions}"',
        tree,
        re.S,
    )
    assert nested, tree[:2000]
    assert f'/lessons?folder_id={maths}" aria-current="page"' in html
    for title in ("Top", "Middle", "Deep"):
        assert f">{title}</a>" in html
    assert ">Elsewhere</a>" not in html
    # The "inside" choice shows the tree indented.
    assert "&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;└&nbsp;Fractions" in html


async def test_list_folders_comes_in_tree_order(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    b = await folder(client, "B")
    a = await folder(client, "A")
    b1 = await folder(client, "B1", b)
    a1 = await folder(client, "A1", a)
    listed = await ok_list(await client.get("/api/v1/folders"))
    assert [item["id"] for item in listed] == [a, a1, b, b1]
    assert listed[1] == {"id": a1, "name": "A1", "parent_id": a}


async def test_two_folders_of_one_name_at_one_level_are_refused(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    maths = await folder(client, "Maths")

    for name in ("Maths", "maths", "  MATHS  "):
        refused = await client.post("/api/v1/folders", json={"name": name})
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert (body["field"], body["detail"]) == ("name", NAME_TAKEN_RU)
    # English speakers read it in English.
    english = await client.post(
        "/api/v1/folders", json={"name": "MATHS"}, headers={"Accept-Language": "en"}
    )
    assert english.status_code == 409
    # Another level is another place: the same name is fine inside it, and in a sibling.
    inside = await folder(client, "Maths", maths)
    algebra = await folder(client, "Algebra", maths)
    assert (
        await client.post("/api/v1/folders", json={"name": "maths", "parent_id": maths})
    ).status_code == 409

    # Renaming or moving onto a taken name is refused too; renaming to itself is fine.
    rename = await client.patch(f"/api/v1/folders/{algebra}", json={"name": "MATHS"})
    assert (rename.status_code, rename.json()["field"]) == (409, "name")
    move = await client.patch(f"/api/v1/folders/{inside}", json={"parent_id": None})
    assert move.status_code == 409, move.text
    same = await client.patch(f"/api/v1/folders/{maths}", json={"name": "MATHS"})
    assert (await ok(same))["name"] == "MATHS"
    listed = await ok_list(await client.get("/api/v1/folders"))
    assert sorted(item["name"] for item in listed) == ["Algebra", "MATHS", "Maths"]

    # Another teacher has a namespace of their own.
    other = await people.teacher()
    await login_as(client, other.email)
    await folder(client, "Maths")


async def test_the_library_form_shows_the_refusal_at_the_field(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    maths = await folder(client, "Maths")
    await create_lesson(client, {"title": "Kept lesson", "folder_id": maths})

    refused = await client.post(
        "/folders", data={"name": " maths ", "parent_id": ""}, follow_redirects=False
    )
    assert refused.status_code == 409, refused.text
    html = refused.text
    assert NAME_TAKEN_RU in html
    assert 'id="folder-name-error"' in html and 'aria-invalid="true"' in html
    assert 'value=" maths "' in html  # what was typed, shown again
    assert "Kept lesson" in html  # the library around it is whole

    empty = await client.post("/folders", data={"name": "  "}, follow_redirects=False)
    assert empty.status_code == 422
    assert "Дайте папке название" in empty.text or "folder-name-error" in empty.text

    created = await client.post(
        "/folders", data={"name": "Maths", "parent_id": str(maths)}, follow_redirects=False
    )
    assert created.status_code == 303
    assert len(await ok_list(await client.get("/api/v1/folders"))) == 2


async def test_a_folder_cannot_move_into_its_own_subtree(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    top = await folder(client, "Top")
    middle = await folder(client, "Middle", top)
    deep = await folder(client, "Deep", middle)
    for target in (top, middle, deep):
        moved = await client.patch(f"/api/v1/folders/{top}", json={"parent_id": target})
        assert moved.status_code == 422, moved.text
        assert moved.json()["field"] == "parent_id"
    listed = {
        item["id"]: item["parent_id"] for item in await ok_list(await client.get("/api/v1/folders"))
    }
    assert listed == {top: None, middle: top, deep: middle}
    # A move elsewhere is fine.
    await ok(await client.patch(f"/api/v1/folders/{deep}", json={"parent_id": top}))


# --- two real transactions racing for one name


@pytest.fixture
async def owner_engine(owner_url: URL) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(owner_url, poolclass=NullPool)
    yield engine
    await engine.dispose()


@pytest.fixture
async def committed_teacher(
    app_engine: AsyncEngine, settings: Settings, owner_engine: AsyncEngine
) -> AsyncIterator[tuple[Database, Actor]]:
    committed = Database(engine=app_engine, sessionmaker=make_sessionmaker(app_engine))
    superuser = Actor(role=Role.SUPERUSER, user_id=0)
    email = f"folders-{uuid.uuid4().hex[:12]}@example.com"
    async with committed.transaction(superuser) as session:
        teacher = await teacher_service.create_teacher(
            session,
            superuser,
            settings,
            TeacherCreate.model_validate(
                {"email": email, "password": PASSWORD, "name": "Tina", "surname": "Teacher"}
            ),
        )
    try:
        yield committed, teacher_actor(teacher)
    finally:
        async with owner_engine.begin() as connection:
            await connection.execute(text("DELETE FROM users WHERE id = :t"), {"t": teacher.id})


async def wait_until_blocked(owner_engine: AsyncEngine) -> None:
    """Until a backend waits for a lock (the twin's insert reached the index entry)."""
    deadline = time.monotonic() + 10
    while True:
        async with owner_engine.connect() as connection:
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        if waiting:
            return
        assert time.monotonic() < deadline, "the twin never waited on the unique index"
        await asyncio.sleep(0.02)


async def test_a_concurrent_twin_meets_the_unique_index(
    committed_teacher: tuple[Database, Actor], owner_engine: AsyncEngine
) -> None:
    """Both requests pass the check (neither sees the other's uncommitted row); the second's
    insert waits on the index, and once the first commits it is told the same message."""
    committed, actor = committed_teacher
    first_inserted = asyncio.Event()

    async def second() -> None:
        await first_inserted.wait()
        async with committed.transaction(actor) as session:
            await folder_service.create_folder(session, actor, FolderCreate(name="RACE"))

    task = asyncio.create_task(second())
    async with committed.transaction(actor) as session:
        await folder_service.create_folder(session, actor, FolderCreate(name="Race"))
        first_inserted.set()
        await wait_until_blocked(owner_engine)
        assert not task.done()
    with pytest.raises(Conflict) as refused:
        await task
    assert refused.value.field == "name"
    assert refused.value.message == folder_service.NAME_TAKEN
    async with committed.transaction(actor) as session:
        names = [f.name for f in await folder_service.list_folders(session, actor)]
    assert names == ["Race"]
