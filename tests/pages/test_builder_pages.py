"""The teacher's lesson pages driven as a browser would: forms with the CSRF field, 303s."""

from __future__ import annotations

from typing import Any

import httpx

from app.core.cookies import CSRF_COOKIE
from app.core.i18n import gettext_for
from tests.conftest import People, login_as

STALE = "The lesson changed meanwhile: reload it to see the latest version"


async def _post(client: httpx.AsyncClient, url: str, data: dict[str, Any]) -> httpx.Response:
    return await client.post(url, data={**data, "csrf_token": client.cookies[CSRF_COOKIE]})


async def test_teacher_builds_a_lesson_block_by_block(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    assert (await client.get("/lessons")).status_code == 200
    assert (await client.get("/lessons/new")).status_code == 200
    created = await _post(
        client, "/lessons/new", {"title": "Числа", "tags": "math, A1", "status": "draft"}
    )
    assert created.status_code == 303, created.text
    edit_url = created.headers["location"]
    lesson_id = int(edit_url.split("/")[2])

    blocks = [
        {"type": "text", "markdown": "# Урок\nПривет"},
        {"type": "single_choice", "prompt": "2+2?", "options": "3\n*4\n5", "points": "2"},
        {"type": "multiple_choice", "prompt": "Even?", "options": "*2\n3\n*4"},
        {"type": "true_false", "prompt": "1 < 2", "correct": "true"},
        {"type": "short_answer", "prompt": "Ёж по-английски", "accepted": "hedgehog"},
        {"type": "numeric", "prompt": "π?", "value": "3,14", "tolerance": "0,01"},
        {"type": "matching", "prompt": "Match", "pairs": "cat -> кот\ndog → собака"},
        {"type": "ordering", "prompt": "Order", "items": "one\ntwo\nthree"},
        {"type": "fill_blanks", "prompt": "Fill", "text": "I [[am|'m]] fine", "yo_equals_e": "on"},
        {"type": "essay", "prompt": "Write", "points": "5"},
        {"type": "video", "url": "https://rutube.ru/video/123/"},
        {"type": "image", "url": "https://example.com/a.png", "alt": "A cat"},
    ]
    for block in blocks:
        editor = await client.get(f"/lessons/{lesson_id}/edit?add={block['type']}")
        assert editor.status_code == 200
        saved = await _post(client, f"/lessons/{lesson_id}/blocks", block)
        assert saved.status_code == 303, (block["type"], saved.text[-2000:])

    lesson = (await client.get(f"/api/v1/lessons/{lesson_id}")).json()
    assert [b["type"] for b in lesson["content"]] == [b["type"] for b in blocks]
    assert lesson["content"][1]["correct"] == "o2"
    assert lesson["content"][8]["gaps"][0]["accepted"] == ["am", "'m"]
    assert lesson["version"] == 1  # nobody was given it yet: the saves rewrote version 1
    page = await client.get(edit_url)
    assert page.status_code == 200
    assert "*4" in page.text  # the saved block shows again in its editor

    # A bad block re-renders with the message, saves nothing.
    bad = await _post(
        client, f"/lessons/{lesson_id}/blocks", {"type": "video", "url": "https://evil.example/x"}
    )
    assert bad.status_code == 422
    assert (await client.get(f"/api/v1/lessons/{lesson_id}")).json() == lesson

    first, second = lesson["content"][0]["id"], lesson["content"][1]["id"]
    moved = await _post(client, f"/lessons/{lesson_id}/blocks/{second}/move", {"direction": "up"})
    assert moved.status_code == 303
    order = [b["id"] for b in (await client.get(f"/api/v1/lessons/{lesson_id}")).json()["content"]]
    assert order[:2] == [second, first]
    deleted = await _post(client, f"/lessons/{lesson_id}/blocks/{first}/delete", {})
    assert deleted.status_code == 303
    after = (await client.get(f"/api/v1/lessons/{lesson_id}")).json()["content"]
    assert first not in [b["id"] for b in after]


async def test_teacher_assigns_through_the_dialog_and_groups(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    s1 = await people.student(teacher)
    s2 = await people.student(teacher)
    await login_as(client, teacher.email)
    lesson = (
        await client.post("/api/v1/lessons", json={"title": "L", "status": "published"})
    ).json()
    assert (await client.get("/groups")).status_code == 200
    group = await _post(client, "/groups", {"name": "5A", "student_ids": [s2.id]})
    assert group.status_code == 303
    group_url = group.headers["location"]
    assert (await client.get(group_url)).status_code == 200

    dialog = await client.get(f"/lessons/{lesson['id']}/assign")
    assert dialog.status_code == 200
    form = {"student_ids": [str(s1.id)], "group_ids": [group_url.split("/")[-1]]}
    form["due_at"] = "2030-01-15T18:00"  # type: ignore[assignment]
    assigned = await _post(client, f"/lessons/{lesson['id']}/assign", form)
    assert assigned.status_code == 303, assigned.text[-1500:]
    listing = (await client.get(f"/api/v1/assignments?lesson_id={lesson['id']}")).json()
    assert sorted(item["student_id"] for item in listing["items"]) == sorted([s1.id, s2.id])
    # 18:00 on the teacher's wall clock in Europe/Moscow (UTC+3).
    assert listing["items"][0]["due_at"].startswith("2030-01-15T15:00")
    page = await client.get(f"/lessons/{lesson['id']}/assign")
    assert "Sam" in page.text or "Student" in page.text

    nothing = await _post(client, f"/lessons/{lesson['id']}/assign", {})
    assert nothing.status_code == 422


async def test_preview_shows_the_lesson_as_a_student_sees_it(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson = (
        await client.post(
            "/api/v1/lessons",
            json={
                "title": "Preview me",
                "content": [
                    {"type": "text", "markdown": "**Bold** <script>alert(1)</script>"},
                    {
                        "type": "short_answer",
                        "prompt": "Capital of France?",
                        "accepted": ["Paris-secret-key"],
                    },
                ],
            },
        )
    ).json()
    page = await client.get(f"/lessons/{lesson['id']}/preview")
    assert page.status_code == 200
    assert "<strong>Bold</strong>" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "Capital of France?" in page.text
    assert "Paris-secret-key" not in page.text
    other = await people.teacher()
    await login_as(client, other.email)
    assert (await client.get(f"/lessons/{lesson['id']}/preview")).status_code == 404


async def test_an_edit_from_a_tab_that_missed_a_newer_save_is_refused_with_a_reload(
    client: httpx.AsyncClient, people: People
) -> None:
    """Two tabs on one lesson: the second save, based on the state before the first, gets 409
    and the builder as it is now, with the refused block still typed in its form; nothing
    changes."""
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    created = await _post(client, "/lessons/new", {"title": "Two tabs", "status": "draft"})
    lesson_id = int(created.headers["location"].split("/")[2])
    await _post(client, f"/lessons/{lesson_id}/blocks", {"type": "text", "markdown": "First"})
    lesson = (await client.get(f"/api/v1/lessons/{lesson_id}")).json()
    seen = lesson["updated_at"]

    # Tab 1 saves a new block based on what it saw: accepted.
    tab_one = await _post(
        client,
        f"/lessons/{lesson_id}/blocks",
        {"type": "text", "markdown": "From tab one", "base_updated_at": seen},
    )
    assert tab_one.status_code == 303, tab_one.text
    # Tab 2 still shows the old version and edits the first block: refused.
    first_id = lesson["content"][0]["id"]
    tab_two = await _post(
        client,
        f"/lessons/{lesson_id}/blocks/{first_id}",
        {"type": "text", "markdown": "From tab two", "base_updated_at": seen},
    )
    assert tab_two.status_code == 409
    assert gettext_for("ru", STALE) in tab_two.text
    assert "From tab one" in tab_two.text  # the lesson as it is now
    assert "From tab two" in tab_two.text  # the refused edit, still in its form
    after = (await client.get(f"/api/v1/lessons/{lesson_id}")).json()
    assert [block["markdown"] for block in after["content"]] == ["First", "From tab one"]
    assert after["version"] == 1 and after["updated_at"] != seen

    # Moving or deleting with the old version is refused the same way (a flash, no change).
    moved = await _post(
        client,
        f"/lessons/{lesson_id}/blocks/{first_id}/delete",
        {"base_updated_at": seen},
    )
    assert moved.status_code == 303
    builder = await client.get(moved.headers["location"])
    assert gettext_for("ru", STALE) in builder.text
    assert len((await client.get(f"/api/v1/lessons/{lesson_id}")).json()["content"]) == 2
