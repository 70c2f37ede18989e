"""Tenant isolation in the LMS: another teacher's lessons, folders, groups and assignments look
exactly like missing ones (404) and stay unchanged; students see only their own work and cannot
use teacher endpoints; and RLS hides other tenants' rows even from a query that names them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.schemas.accounts import StudentRead, TeacherRead
from tests.conftest import People
from tests.lms.helpers import (
    ClientFactory,
    Json,
    act_as_teacher,
    assign_one,
    create_lesson,
    ok,
    ok_list,
    quiz_lesson,
    student_client,
    teacher_client,
)
from tests.tenancy import LMS_TENANT_TABLES

MISSING = 999_999_999


@dataclass
class World:
    teacher_a: TeacherRead
    a: httpx.AsyncClient
    teacher_b: TeacherRead
    b: httpx.AsyncClient
    student_a: StudentRead
    student_a_http: httpx.AsyncClient
    classmate_http: httpx.AsyncClient
    student_b: StudentRead
    student_b_http: httpx.AsyncClient
    lesson: Json
    folder: Json
    group: Json
    assignment_id: int
    classmate_assignment_id: int


async def build_world(people: People, make_client: ClientFactory) -> World:
    teacher_a, a = await teacher_client(people, make_client)
    teacher_b, b = await teacher_client(people, make_client)
    student_a, student_a_http = await student_client(people, make_client, teacher_a)
    classmate, classmate_http = await student_client(people, make_client, teacher_a)
    student_b, student_b_http = await student_client(people, make_client, teacher_b)
    folder = await ok(await a.post("/api/v1/folders", json={"name": "A's folder"}), 201)
    lesson = await create_lesson(a, quiz_lesson(folder_id=folder["id"]))
    group = await ok(
        await a.post("/api/v1/groups", json={"name": "A's group", "student_ids": [student_a.id]}),
        201,
    )
    assignment_id = await assign_one(a, lesson["id"], student_a.id)
    classmate_assignment_id = await assign_one(a, lesson["id"], classmate.id)
    await ok(
        await student_a_http.post(
            f"/api/v1/assignments/{assignment_id}/submit", json={"answers": {"q1": "b"}}
        )
    )
    return World(
        teacher_a=teacher_a,
        a=a,
        teacher_b=teacher_b,
        b=b,
        student_a=student_a,
        student_a_http=student_a_http,
        classmate_http=classmate_http,
        student_b=student_b,
        student_b_http=student_b_http,
        lesson=lesson,
        folder=folder,
        group=group,
        assignment_id=assignment_id,
        classmate_assignment_id=classmate_assignment_id,
    )


async def snapshot(world: World) -> list[Any]:
    """Everything teacher A can see of the objects under attack."""
    a = world.a
    return [
        await ok(await a.get(f"/api/v1/lessons/{world.lesson['id']}")),
        await ok(await a.get("/api/v1/lessons")),
        await ok(await a.get("/api/v1/folders")),
        await ok(await a.get(f"/api/v1/groups/{world.group['id']}")),
        await ok(await a.get(f"/api/v1/assignments/{world.assignment_id}")),
        await ok(await a.get("/api/v1/assignments")),
    ]


async def same_as_missing(
    client: httpx.AsyncClient, method: str, path: str, real_id: int, body: Json | None = None
) -> None:
    real = await client.request(method, path.format(id=real_id), json=body)
    missing = await client.request(method, path.format(id=MISSING), json=body)
    assert real.status_code == 404, (method, path, real.text)
    assert (real.status_code, real.json()) == (missing.status_code, missing.json()), path


async def test_other_teachers_objects_look_missing_and_stay_unchanged(
    people: People, make_client: ClientFactory
) -> None:
    world = await build_world(people, make_client)
    before = await snapshot(world)
    lesson_id, folder_id = world.lesson["id"], world.folder["id"]
    group_id, assignment_id = world.group["id"], world.assignment_id
    attacks: list[tuple[str, str, int, Json | None]] = [
        ("GET", "/api/v1/lessons/{id}", lesson_id, None),
        ("PATCH", "/api/v1/lessons/{id}", lesson_id, {"title": "Taken", "content": []}),
        ("DELETE", "/api/v1/lessons/{id}", lesson_id, None),
        ("GET", "/api/v1/lessons/{id}/preview", lesson_id, None),
        ("POST", "/api/v1/lessons/{id}/duplicate", lesson_id, None),
        ("PATCH", "/api/v1/folders/{id}", folder_id, {"name": "Taken"}),
        ("DELETE", "/api/v1/folders/{id}", folder_id, None),
        ("GET", "/api/v1/groups/{id}", group_id, None),
        ("PATCH", "/api/v1/groups/{id}", group_id, {"name": "Taken"}),
        ("DELETE", "/api/v1/groups/{id}", group_id, None),
        ("POST", "/api/v1/groups/{id}/members", group_id, {"student_ids": [world.student_b.id]}),
        ("DELETE", f"/api/v1/groups/{{id}}/members/{world.student_a.id}", group_id, None),
        ("GET", "/api/v1/assignments/{id}", assignment_id, None),
        ("POST", "/api/v1/assignments/{id}/grade", assignment_id, {"scores": {"q1": 0}}),
    ]
    for method, path, real_id, body in attacks:
        await same_as_missing(world.b, method, path, real_id, body)
    assert await snapshot(world) == before

    # B's lists show none of A's things, whatever the filters say.
    assert (await ok(await world.b.get("/api/v1/lessons")))["total"] == 0
    assert (await ok(await world.b.get(f"/api/v1/lessons?folder_id={folder_id}")))["total"] == 0
    assert await ok_list(await world.b.get("/api/v1/folders")) == []
    assert await ok_list(await world.b.get("/api/v1/groups")) == []
    for query in ("", f"?student_id={world.student_a.id}", f"?lesson_id={lesson_id}"):
        assert (await ok(await world.b.get(f"/api/v1/assignments{query}")))["total"] == 0


async def test_cannot_assign_or_link_another_teachers_lessons_students_groups_or_folders(
    people: People, make_client: ClientFactory
) -> None:
    world = await build_world(people, make_client)
    before = await snapshot(world)
    b = world.b
    foreign_lesson = await b.post(
        "/api/v1/assignments",
        json={"lesson_id": world.lesson["id"], "student_ids": [world.student_b.id]},
    )
    assert foreign_lesson.status_code == 404
    own = await create_lesson(b, quiz_lesson(title="B's"))
    foreign_student = await b.post(
        "/api/v1/assignments", json={"lesson_id": own["id"], "student_ids": [world.student_a.id]}
    )
    assert foreign_student.status_code == 422
    assert str(world.student_a.id) in foreign_student.json()["detail"]
    foreign_group = await b.post(
        "/api/v1/assignments", json={"lesson_id": own["id"], "group_ids": [world.group["id"]]}
    )
    assert foreign_group.status_code == 422
    assert foreign_group.json()["field"] == "group_ids"
    in_foreign_folder = await b.post(
        "/api/v1/lessons", json={"title": "X", "folder_id": world.folder["id"]}
    )
    assert in_foreign_folder.status_code == 422
    sub_folder = await b.post(
        "/api/v1/folders", json={"name": "X", "parent_id": world.folder["id"]}
    )
    assert sub_folder.status_code == 422
    foreign_member = await b.post(
        "/api/v1/groups", json={"name": "X", "student_ids": [world.student_a.id]}
    )
    assert foreign_member.status_code == 422
    assert (await ok(await b.get("/api/v1/assignments")))["total"] == 0
    assert (await ok(await b.get("/api/v1/lessons")))["total"] == 1
    assert await snapshot(world) == before


async def test_students_see_only_their_own_assignments(
    people: People, make_client: ClientFactory
) -> None:
    world = await build_world(people, make_client)
    before = await snapshot(world)
    for student_http in (world.classmate_http, world.student_b_http):
        for method, path, body in [
            ("GET", "/api/v1/assignments/{id}", None),
            ("PUT", "/api/v1/assignments/{id}/progress", {"answers": {"q1": "a"}}),
            ("POST", "/api/v1/assignments/{id}/submit", {"answers": {"q1": "a"}}),
            ("POST", "/api/v1/assignments/{id}/attempts", None),
        ]:
            await same_as_missing(student_http, method, path, world.assignment_id, body)
    mine = await ok(await world.classmate_http.get("/api/v1/assignments"))
    assert [item["id"] for item in mine["items"]] == [world.classmate_assignment_id]
    assert (await ok(await world.student_b_http.get("/api/v1/assignments")))["total"] == 0
    assert await snapshot(world) == before


async def test_students_cannot_use_teacher_endpoints_nor_teachers_student_ones(
    people: People, make_client: ClientFactory
) -> None:
    world = await build_world(people, make_client)
    before = await snapshot(world)
    lesson_id, assignment_id = world.lesson["id"], world.assignment_id
    teacher_only: list[tuple[str, str, Json | None]] = [
        ("GET", "/api/v1/lessons", None),
        ("POST", "/api/v1/lessons", {"title": "Mine now"}),
        ("GET", f"/api/v1/lessons/{lesson_id}", None),
        ("PATCH", f"/api/v1/lessons/{lesson_id}", {"title": "Mine now"}),
        ("DELETE", f"/api/v1/lessons/{lesson_id}", None),
        ("GET", f"/api/v1/lessons/{lesson_id}/preview", None),
        ("POST", f"/api/v1/lessons/{lesson_id}/duplicate", None),
        ("GET", "/api/v1/folders", None),
        ("POST", "/api/v1/folders", {"name": "X"}),
        ("GET", "/api/v1/groups", None),
        ("POST", "/api/v1/groups", {"name": "X"}),
        ("GET", f"/api/v1/groups/{world.group['id']}", None),
        ("POST", "/api/v1/assignments", {"lesson_id": lesson_id, "student_ids": [1]}),
        ("POST", f"/api/v1/assignments/{assignment_id}/grade", {"scores": {"q1": 2}}),
    ]
    for method, path, body in teacher_only:
        response = await world.student_a_http.request(method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
    student_only: list[tuple[str, str, Json | None]] = [
        ("PUT", f"/api/v1/assignments/{assignment_id}/progress", {"answers": {"q1": "a"}}),
        ("POST", f"/api/v1/assignments/{assignment_id}/submit", {}),
        ("POST", f"/api/v1/assignments/{assignment_id}/attempts", None),
    ]
    for method, path, body in student_only:
        response = await world.a.request(method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
    anonymous = make_client()
    for path in ("/api/v1/lessons", f"/api/v1/assignments/{assignment_id}", "/api/v1/groups"):
        assert (await anonymous.get(path)).status_code == 401
    assert await snapshot(world) == before


async def test_rls_hides_other_tenants_rows_even_when_named(
    people: People, make_client: ClientFactory, connection: AsyncConnection
) -> None:
    world = await build_world(people, make_client)
    await ok(
        await world.a.post(
            f"/api/v1/assignments/{world.assignment_id}/grade", json={"scores": {"q2": 1}}
        )
    )
    counts: dict[int, dict[str, int]] = {}
    for teacher in (world.teacher_a, world.teacher_b):
        await act_as_teacher(connection, teacher.id)
        counts[teacher.id] = {}
        for table in LMS_TENANT_TABLES:
            found = await connection.scalar(
                text(f"SELECT count(*) FROM {table} WHERE teacher_id = :a"),
                {"a": world.teacher_a.id},
            )
            counts[teacher.id][table] = int(found or 0)
    own = counts[world.teacher_a.id]
    assert all(own[table] > 0 for table in LMS_TENANT_TABLES if table != "media"), own
    assert counts[world.teacher_b.id] == dict.fromkeys(LMS_TENANT_TABLES, 0)

    # Writing into another tenant is refused by the policies' WITH CHECK.
    await act_as_teacher(connection, world.teacher_b.id)
    savepoint = await connection.begin_nested()
    with pytest.raises(DBAPIError, match="row-level security"):
        await connection.execute(
            text("INSERT INTO student_groups (teacher_id, name) VALUES (:a, 'planted')"),
            {"a": world.teacher_a.id},
        )
    await savepoint.rollback()
    updated = await connection.execute(
        text("UPDATE lesson_assignments SET score = 0 WHERE teacher_id = :a"),
        {"a": world.teacher_a.id},
    )
    assert updated.rowcount == 0
