"""The lesson library over the API: create, read, list with search and filters, edit (versions),
duplicate, delete or archive, folders, and the student preview."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import People, login_as
from tests.lms.helpers import (
    ClientFactory,
    Json,
    act_as_teacher,
    assign_one,
    create_lesson,
    full_lesson,
    key_material,
    ok,
    ok_list,
    quiz_lesson,
    student_client,
)


async def titles(client: httpx.AsyncClient, query: str = "") -> list[str]:
    page = await ok(await client.get(f"/api/v1/lessons{query}"))
    assert page["total"] == len(page["items"])
    return sorted(item["title"] for item in page["items"])


async def version_rows(connection: AsyncConnection, teacher_id: int, lesson_id: int) -> list[int]:
    await act_as_teacher(connection, teacher_id)
    rows = await connection.scalars(
        text(
            "SELECT version FROM lesson_versions WHERE teacher_id = :t AND lesson_id = :l"
            " ORDER BY version"
        ),
        {"t": teacher_id, "l": lesson_id},
    )
    return list(rows.all())


async def test_create_read_and_list(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    created = await create_lesson(
        client,
        quiz_lesson(
            title="  Present Simple  ",
            subject="English",
            tags=["Grammar", "english", "GRAMMAR "],
            attempt_limit=3,
            time_limit_minutes=20,
            shuffle_options=True,
        ),
    )
    assert created["title"] == "Present Simple"
    assert created["tags"] == ["Grammar", "english"]  # as typed; repeats in any case dropped
    assert (created["status"], created["version"], created["question_count"]) == (
        "published",
        1,
        2,
    )
    assert Decimal(created["max_score"]) == 3
    assert (created["attempt_limit"], created["time_limit_minutes"]) == (3, 20)
    assert created["shuffle_options"] is True

    read = await ok(await client.get(f"/api/v1/lessons/{created['id']}"))
    assert read == created
    page = await ok(await client.get("/api/v1/lessons"))
    assert page["total"] == 1
    summary = page["items"][0]
    assert summary["id"] == created["id"]
    assert "content" not in summary
    missing = await client.get("/api/v1/lessons/999999999")
    assert missing.status_code == 404


async def test_search_by_title_and_by_tag(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    for title, tags in [
        ("Present Simple", ["grammar"]),
        ("Past Simple", ["grammar", "verbs"]),
        ("Vocabulary: Food", ["food"]),
        ("100% English", []),
        ("Snake_case", []),
    ]:
        await create_lesson(client, {"title": title, "tags": tags})

    assert await titles(client, "?q=simple") == ["Past Simple", "Present Simple"]
    assert await titles(client, "?q=SIMPLE") == ["Past Simple", "Present Simple"]
    assert await titles(client, "?q=verbs") == ["Past Simple"]  # by tag only
    assert await titles(client, "?q=food") == ["Vocabulary: Food"]
    assert await titles(client, "?tag=grammar") == ["Past Simple", "Present Simple"]
    assert await titles(client, "?tag=GRAMMAR") == ["Past Simple", "Present Simple"]
    assert await titles(client, "?tag=gram") == []  # tags match whole
    assert await titles(client, "?q=simple&tag=verbs") == ["Past Simple"]
    # LIKE wildcards in the search are plain characters.
    assert await titles(client, "?q=%25") == ["100% English"]
    assert await titles(client, "?q=_") == ["Snake_case"]
    assert await titles(client, "?q=nothing-like-this") == []


async def test_filter_by_folder_and_status_and_paginate(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    folder = await ok(await client.post("/api/v1/folders", json={"name": "Grade 5"}), 201)
    await create_lesson(client, {"title": "In draft", "folder_id": folder["id"]})
    await create_lesson(
        client, {"title": "In published", "folder_id": folder["id"], "status": "published"}
    )
    await create_lesson(client, {"title": "Out published", "status": "published"})
    await create_lesson(client, {"title": "Out draft"})

    assert await titles(client, f"?folder_id={folder['id']}") == ["In draft", "In published"]
    assert await titles(client, "?status=published") == ["In published", "Out published"]
    assert await titles(client, f"?status=draft&folder_id={folder['id']}") == ["In draft"]
    assert (await client.get("/api/v1/lessons?status=deleted")).status_code == 422

    first = await ok(await client.get("/api/v1/lessons?limit=3"))
    assert (first["total"], len(first["items"]), first["next_offset"]) == (4, 3, 3)
    assert first["items"][0]["title"] == "Out draft"  # most recently edited first
    rest = await ok(await client.get("/api/v1/lessons?limit=3&offset=3"))
    assert (len(rest["items"]), rest["next_offset"]) == (1, None)
    ids = [item["id"] for item in first["items"] + rest["items"]]
    assert len(set(ids)) == 4


async def test_patch_content_rewrites_the_unassigned_version(
    client: httpx.AsyncClient, people: People, connection: AsyncConnection
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson = await create_lesson(client, quiz_lesson())
    url = f"/api/v1/lessons/{lesson['id']}"

    renamed = await ok(await client.patch(url, json={"title": "Renamed", "tags": ["new"]}))
    assert (renamed["title"], renamed["tags"], renamed["version"]) == ("Renamed", ["new"], 1)
    same = await ok(await client.patch(url, json={"content": lesson["content"]}))
    assert same["version"] == 1

    # Nobody was given the lesson: new content rewrites version 1 (tests/lms/
    # test_versions_when_pinned.py has the versions that assignments pin).
    content = [*lesson["content"], {"id": "q3", "type": "essay", "prompt": "Why?", "points": 4}]
    edited = await ok(await client.patch(url, json={"content": content}))
    assert edited["version"] == 1
    assert Decimal(edited["max_score"]) == 7
    assert [block["id"] for block in edited["content"]] == ["intro", "q1", "q2", "q3"]
    assert await version_rows(connection, teacher.id, lesson["id"]) == [1]

    cleared = await ok(await client.patch(url, json={"subject": None, "attempt_limit": None}))
    assert cleared["subject"] is None and cleared["version"] == 1

    broken = await client.patch(url, json={"content": [{"type": "video", "url": "http://x"}]})
    assert broken.status_code == 422
    assert (await ok(await client.get(url)))["version"] == 1
    assert await version_rows(connection, teacher.id, lesson["id"]) == [1]
    extra = await client.patch(url, json={"teacher_id": 1})
    assert extra.status_code == 422


async def test_duplicate_is_a_new_draft_with_the_same_blocks(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    source = await create_lesson(client, full_lesson(tags=["exam"], attempt_limit=2))
    copy = await ok(await client.post(f"/api/v1/lessons/{source['id']}/duplicate"), 201)
    assert copy["id"] != source["id"]
    assert copy["title"] == "Everything (copy)"
    assert (copy["status"], copy["version"]) == ("draft", 1)
    assert copy["content"] == source["content"]
    assert (copy["tags"], copy["attempt_limit"]) == (["exam"], 2)

    named = await client.post(
        f"/api/v1/lessons/{source['id']}/duplicate", json={"title": "Variant B"}
    )
    assert (await ok(named, 201))["title"] == "Variant B"
    assert await ok(await client.get(f"/api/v1/lessons/{source['id']}")) == source
    assert (await ok(await client.get("/api/v1/lessons")))["total"] == 3


async def test_delete_unassigned_lesson_is_gone(
    client: httpx.AsyncClient, people: People, connection: AsyncConnection
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson = await create_lesson(client, quiz_lesson())
    await ok(await client.patch(f"/api/v1/lessons/{lesson['id']}", json={"content": []}))

    deleted = await client.delete(f"/api/v1/lessons/{lesson['id']}")
    assert deleted.status_code == 204
    assert (await client.get(f"/api/v1/lessons/{lesson['id']}")).status_code == 404
    assert (await client.delete(f"/api/v1/lessons/{lesson['id']}")).status_code == 404
    assert await version_rows(connection, teacher.id, lesson["id"]) == []
    for status in ("draft", "published", "archived"):
        assert await titles(client, f"?status={status}") == []


async def test_delete_assigned_lesson_archives_it_and_keeps_the_students_work(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    lesson = await create_lesson(client, quiz_lesson(title="Assigned"))
    await create_lesson(client, {"title": "Other"})
    assignment_id = await assign_one(client, lesson["id"], student.id)

    assert (await client.delete(f"/api/v1/lessons/{lesson['id']}")).status_code == 204
    archived = await ok(await client.get(f"/api/v1/lessons/{lesson['id']}"))
    assert archived["status"] == "archived"
    assert archived["content"] == lesson["content"]
    assert await titles(client) == ["Other"]
    assert await titles(client, "?status=archived") == ["Assigned"]

    view = await ok(await student_http.get(f"/api/v1/assignments/{assignment_id}"))
    assert [block["id"] for block in view["blocks"]] == ["intro", "q1", "q2"]
    assert (await ok(await client.get(f"/api/v1/assignments/{assignment_id}")))["id"] == (
        assignment_id
    )

    other = await people.student(teacher)
    again = await client.post(
        "/api/v1/assignments", json={"lesson_id": lesson["id"], "student_ids": [other.id]}
    )
    assert again.status_code == 422
    assert again.json()["field"] == "lesson_id"


async def test_preview_shows_the_student_view_without_keys(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson = await create_lesson(client, full_lesson())
    response = await client.get(f"/api/v1/lessons/{lesson['id']}/preview")
    blocks = await ok_list(response)
    assert [block["id"] for block in blocks] == [block["id"] for block in lesson["content"]]
    assert key_material(blocks) == []
    assert "KEY-" not in response.text
    # The teacher's own read does carry the keys (the walk finds them when they are there).
    assert key_material(lesson["content"]) != []


async def test_preview_of_missing_lesson_is_404(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    assert (await client.get("/api/v1/lessons/999999999/preview")).status_code == 404


# --- folders


async def test_folders_create_nest_rename_move_delete(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    root = await ok(await client.post("/api/v1/folders", json={"name": "Math"}), 201)
    child = await ok(
        await client.post("/api/v1/folders", json={"name": "Algebra", "parent_id": root["id"]}),
        201,
    )
    grandchild = await ok(
        await client.post("/api/v1/folders", json={"name": "Linear", "parent_id": child["id"]}),
        201,
    )
    assert child["parent_id"] == root["id"]
    listed = await ok_list(await client.get("/api/v1/folders"))
    assert {(f["name"], f["parent_id"]) for f in listed} == {
        ("Math", None),
        ("Algebra", root["id"]),
        ("Linear", child["id"]),
    }

    renamed = await ok(await client.patch(f"/api/v1/folders/{child['id']}", json={"name": "Alg"}))
    assert (renamed["name"], renamed["parent_id"]) == ("Alg", root["id"])
    moved = await ok(
        await client.patch(f"/api/v1/folders/{grandchild['id']}", json={"parent_id": root["id"]})
    )
    assert moved["parent_id"] == root["id"]
    to_top = await ok(
        await client.patch(f"/api/v1/folders/{grandchild['id']}", json={"parent_id": None})
    )
    assert to_top["parent_id"] is None

    for folder_id in (child["id"], grandchild["id"]):
        assert (await client.delete(f"/api/v1/folders/{folder_id}")).status_code == 204
    assert [f["name"] for f in await ok_list(await client.get("/api/v1/folders"))] == ["Math"]
    assert (await client.delete(f"/api/v1/folders/{child['id']}")).status_code == 404


async def test_folder_cannot_move_into_itself_or_its_descendants(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    root = await ok(await client.post("/api/v1/folders", json={"name": "A"}), 201)
    child = await ok(
        await client.post("/api/v1/folders", json={"name": "B", "parent_id": root["id"]}), 201
    )
    for parent_id in (root["id"], child["id"], 999_999_999):
        response = await client.patch(
            f"/api/v1/folders/{root['id']}", json={"parent_id": parent_id}
        )
        assert response.status_code == 422, (parent_id, response.text)
        assert response.json()["field"] == "parent_id"
    listed = await ok_list(await client.get("/api/v1/folders"))
    assert {(f["id"], f["parent_id"]) for f in listed} == {
        (root["id"], None),
        (child["id"], root["id"]),
    }
    orphan = await client.post("/api/v1/folders", json={"name": "C", "parent_id": 999_999_999})
    assert orphan.status_code == 422
    assert (await client.post("/api/v1/folders", json={"name": "  "})).status_code == 422


async def test_deleting_a_non_empty_folder_is_a_conflict(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    with_lesson = await ok(await client.post("/api/v1/folders", json={"name": "L"}), 201)
    with_child = await ok(await client.post("/api/v1/folders", json={"name": "P"}), 201)
    await ok(
        await client.post("/api/v1/folders", json={"name": "C", "parent_id": with_child["id"]}),
        201,
    )
    lesson = await create_lesson(client, {"title": "Inside", "folder_id": with_lesson["id"]})

    for folder in (with_lesson, with_child):
        response = await client.delete(f"/api/v1/folders/{folder['id']}")
        assert response.status_code == 409, response.text
    assert len(await ok_list(await client.get("/api/v1/folders"))) == 3
    assert (await ok(await client.get(f"/api/v1/lessons/{lesson['id']}")))["folder_id"] == (
        with_lesson["id"]
    )

    await ok(await client.patch(f"/api/v1/lessons/{lesson['id']}", json={"folder_id": None}))
    assert (await client.delete(f"/api/v1/folders/{with_lesson['id']}")).status_code == 204


async def test_lesson_in_an_unknown_folder_is_refused(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    response = await client.post("/api/v1/lessons", json={"title": "X", "folder_id": 999_999_999})
    assert response.status_code == 422
    assert response.json()["field"] == "folder_id"
    lesson: Json = await create_lesson(client, {"title": "Y"})
    moved = await client.patch(f"/api/v1/lessons/{lesson['id']}", json={"folder_id": 999_999_999})
    assert moved.status_code == 422
    assert (await ok(await client.get("/api/v1/lessons")))["total"] == 1
