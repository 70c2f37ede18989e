"""Versions only when pinned: a lesson's current version is rewritten by every edit until an
assignment pins it (`lesson_assignments.lesson_version`); from then on it never changes, the next
edit starts a new version and later edits rewrite that one until it is pinned too. Stale edits
are still refused: `updated_at` is the one token, and it moves with every save."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.cookies import CSRF_COOKIE
from app.core.database import Database
from app.core.errors import StaleVersion
from app.core.i18n import gettext_for
from app.schemas.lms import LessonCreate, LessonUpdate
from app.services.lms import builder
from app.services.lms import lessons as lesson_service
from tests.conftest import People, login_as, teacher_actor
from tests.lms.helpers import (
    ClientFactory,
    Json,
    act_as_teacher,
    assign_one,
    create_lesson,
    ok,
    quiz_lesson,
    student_client,
)

STALE = "The lesson changed meanwhile: reload it to see the latest version"


async def _post(client: httpx.AsyncClient, url: str, data: dict[str, Any]) -> httpx.Response:
    return await client.post(url, data={**data, "csrf_token": client.cookies[CSRF_COOKIE]})


async def versions(connection: AsyncConnection, teacher_id: int, lesson_id: int) -> dict[int, Any]:
    """Each stored version's blocks, by version number."""
    await act_as_teacher(connection, teacher_id)
    rows = await connection.execute(
        text(
            "SELECT version, content FROM lesson_versions WHERE teacher_id = :t AND lesson_id = :l"
        ),
        {"t": teacher_id, "l": lesson_id},
    )
    return {row.version: row.content for row in rows.all()}


async def edit_first_question(client: httpx.AsyncClient, lesson_id: int, prompt: str) -> None:
    """Save the quiz's first question with a new prompt through the builder's form."""
    saved = await _post(
        client,
        f"/lessons/{lesson_id}/blocks/q1",
        {"type": "single_choice", "prompt": prompt, "options": "go\n*goes", "points": "2"},
    )
    assert saved.status_code == 303, saved.text[-1500:]


def prompts(blocks: list[Json]) -> list[str]:
    return [block["prompt"] for block in blocks if "prompt" in block]


async def test_building_a_lesson_of_ten_blocks_stays_version_one(
    client: httpx.AsyncClient, people: People, connection: AsyncConnection
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    created = await _post(client, "/lessons/new", {"title": "Ten blocks", "status": "draft"})
    assert created.status_code == 303, created.text
    lesson_id = int(created.headers["location"].split("/")[2])

    for number in range(1, 11):
        block = {"type": "text", "markdown": f"Part {number}"}
        if number % 2 == 0:
            block = {"type": "true_false", "prompt": f"Fact {number}?", "correct": "true"}
        assert (await _post(client, f"/lessons/{lesson_id}/blocks", block)).status_code == 303
    lesson = await ok(await client.get(f"/api/v1/lessons/{lesson_id}"))
    first = lesson["content"][0]["id"]
    # Editing, moving and deleting before anyone was given the lesson: still version 1.
    await _post(client, f"/lessons/{lesson_id}/blocks/{first}", {"type": "text", "markdown": "New"})
    await _post(client, f"/lessons/{lesson_id}/blocks/{first}/move", {"direction": "down"})
    await _post(client, f"/lessons/{lesson_id}/blocks/{lesson['content'][-1]['id']}/delete", {})

    lesson = await ok(await client.get(f"/api/v1/lessons/{lesson_id}"))
    assert (lesson["version"], len(lesson["content"])) == (1, 9)
    # The one version row is kept in step with the lesson (it is what an assignment would pin).
    stored = await versions(connection, teacher.id, lesson_id)
    assert list(stored) == [1]
    assert stored[1] == lesson["content"]
    page = await client.get(f"/lessons/{lesson_id}/edit")
    assert '<span id="lesson-version">1</span>' in page.text
    # Without builder.js every editor is open; its "Edit" buttons come hidden.
    assert 'class="block-editor" id="editor-' in page.text
    assert page.text.count("data-edit-toggle") == 9
    assert page.text.count('aria-expanded="true" aria-controls="editor-') == 9


async def test_an_assigned_version_never_changes_the_next_edit_makes_a_new_one(
    client: httpx.AsyncClient,
    people: People,
    make_client: ClientFactory,
    connection: AsyncConnection,
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    first_student, first_http = await student_client(people, make_client, teacher)
    lesson = await create_lesson(client, quiz_lesson())
    lesson_id = lesson["id"]
    await edit_first_question(client, lesson_id, "Before assigning")
    assert (await ok(await client.get(f"/api/v1/lessons/{lesson_id}")))["version"] == 1

    assignment_id = await assign_one(client, lesson_id, first_student.id)
    base = f"/api/v1/assignments/{assignment_id}"
    await ok(await first_http.put(f"{base}/progress", json={"answers": {"q1": "b"}}))

    # Version 1 is pinned: the next edit makes version 2, later edits rewrite version 2.
    await edit_first_question(client, lesson_id, "After assigning")
    assert (await ok(await client.get(f"/api/v1/lessons/{lesson_id}")))["version"] == 2
    await edit_first_question(client, lesson_id, "Edited again")
    edited = await ok(await client.get(f"/api/v1/lessons/{lesson_id}"))
    assert edited["version"] == 2
    stored = await versions(connection, teacher.id, lesson_id)
    assert sorted(stored) == [1, 2]
    assert prompts(stored[1])[0] == "Before assigning"
    assert stored[2] == edited["content"]

    # The assigned student still works on version 1, and is graded against it.
    view = await ok(await first_http.get(base))
    assert prompts(view["blocks"])[0] == "Before assigning"
    submitted = await ok(
        await first_http.post(f"{base}/submit", json={"answers": {"q1": "b", "q2": True}})
    )
    assert submitted["score"] is not None
    graded = await ok(await client.get(base))
    assert graded["lesson_version"] == 1
    assert prompts(graded["content"])[0] == "Before assigning"

    # A student given the lesson now gets version 2, which then is pinned too.
    second_student, second_http = await student_client(people, make_client, teacher)
    second_id = await assign_one(client, lesson_id, second_student.id)
    second_view = await ok(await second_http.get(f"/api/v1/assignments/{second_id}"))
    assert prompts(second_view["blocks"])[0] == "Edited again"
    assert (await ok(await client.get(f"/api/v1/assignments/{second_id}")))["lesson_version"] == 2
    await edit_first_question(client, lesson_id, "Version three")
    assert (await ok(await client.get(f"/api/v1/lessons/{lesson_id}")))["version"] == 3
    stored = await versions(connection, teacher.id, lesson_id)
    assert [prompts(stored[number])[0] for number in (1, 2, 3)] == [
        "Before assigning",
        "Edited again",
        "Version three",
    ]


async def test_the_json_api_follows_the_same_rule(
    client: httpx.AsyncClient, people: People, connection: AsyncConnection
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student = await people.student(teacher)
    lesson = await create_lesson(client, quiz_lesson())
    url = f"/api/v1/lessons/{lesson['id']}"
    shorter = lesson["content"][:2]
    assert (await ok(await client.patch(url, json={"content": shorter})))["version"] == 1
    await assign_one(client, lesson["id"], student.id)
    assert (await ok(await client.patch(url, json={"content": lesson["content"]})))["version"] == 2
    renamed = await ok(await client.patch(url, json={"title": "Renamed"}))
    assert renamed["version"] == 2  # settings never make a version
    stored = await versions(connection, teacher.id, lesson["id"])
    assert (stored[1], stored[2]) == (shorter, lesson["content"])


async def test_stale_edits_are_still_refused_blocks_and_settings_alike(
    people: People, database: Database
) -> None:
    """One token for both: a block saved makes the settings form stale and the other way
    round, while the version stays 1 throughout."""
    teacher = await people.teacher()
    actor = teacher_actor(teacher)
    async with database.transaction(actor) as session:
        lesson = await lesson_service.create_lesson(
            session, actor, LessonCreate.model_validate(quiz_lesson())
        )
        assert lesson.id is not None
        page = lesson.updated_at
        after_block = await builder.replace_block(
            session, actor, lesson.id, "intro", {"type": "text", "markdown": "x"}
        )
        assert after_block.updated_at != page
        with pytest.raises(StaleVersion):
            await lesson_service.update_lesson(
                session, actor, lesson.id, LessonUpdate(title="Old tab", base_updated_at=page)
            )
        after_settings = await lesson_service.update_lesson(
            session,
            actor,
            lesson.id,
            LessonUpdate(title="Fresh tab", base_updated_at=after_block.updated_at),
        )
        with pytest.raises(StaleVersion):
            await builder.move_block(
                session, actor, lesson.id, "q1", "up", base_updated_at=after_block.updated_at
            )
        unchanged = await lesson_service.update_lesson(
            session, actor, lesson.id, LessonUpdate(title="Fresh tab")
        )
        assert unchanged.updated_at == after_settings.updated_at  # nothing changed, no save
        moved = await builder.move_block(
            session, actor, lesson.id, "q1", "up", base_updated_at=after_settings.updated_at
        )
    assert [block.id for block in moved.content] == ["q1", "intro", "q2"]
    assert (after_block.version, after_settings.version, moved.version) == (1, 1, 1)


async def test_a_stale_builder_form_after_assigning_is_refused(
    client: httpx.AsyncClient, people: People
) -> None:
    """The builder page's forms carry `base_updated_at`: a tab opened before another tab's save
    cannot overwrite it, whatever version that save made."""
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student = await people.student(teacher)
    lesson = await create_lesson(client, quiz_lesson())
    await assign_one(client, lesson["id"], student.id)
    seen = lesson["updated_at"]

    await edit_first_question(client, lesson["id"], "Tab one")
    refused = await _post(
        client,
        f"/lessons/{lesson['id']}/blocks/q1",
        {
            "type": "single_choice",
            "prompt": "Tab two",
            "options": "go\n*goes",
            "base_updated_at": seen,
        },
    )
    assert refused.status_code == 409
    assert gettext_for("ru", STALE) in refused.text
    assert "Tab two" in refused.text  # still in its form, marked unsaved for builder.js
    assert "data-open" in refused.text and "data-unsaved" in refused.text
    moved = await _post(
        client,
        f"/lessons/{lesson['id']}/blocks/q1/move",
        {"direction": "up", "base_updated_at": "not a time"},
    )
    assert moved.status_code == 303  # an unreadable token counts as stale: a flash, no change
    after = await ok(await client.get(f"/api/v1/lessons/{lesson['id']}"))
    assert after["version"] == 2
    assert [block["id"] for block in after["content"]] == ["intro", "q1", "q2"]
    assert prompts(after["content"])[0] == "Tab one"
