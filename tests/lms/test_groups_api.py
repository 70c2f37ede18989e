"""Student groups: members, newcomers receiving the group's open assignments, and deleting a
group without touching anybody's work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import People, login_as
from tests.lms.helpers import (
    ClientFactory,
    Json,
    act_as_teacher,
    assign,
    assign_one,
    create_lesson,
    ok,
    ok_list,
    quiz_lesson,
    student_client,
)


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


async def lessons_of(client: httpx.AsyncClient, student_id: int) -> list[str]:
    page = await ok(await client.get(f"/api/v1/assignments?student_id={student_id}"))
    return sorted(item["lesson_title"] for item in page["items"])


async def test_group_crud_and_members(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    s1, s2, s3 = [await people.student(teacher) for _ in range(3)]
    await login_as(client, teacher.email)

    group = await ok(
        await client.post(
            "/api/v1/groups", json={"name": " 5A ", "student_ids": [s2.id, s1.id, s1.id]}
        ),
        201,
    )
    assert (group["name"], group["student_ids"]) == ("5A", sorted([s1.id, s2.id]))
    url = f"/api/v1/groups/{group['id']}"
    assert await ok(await client.get(url)) == group
    empty = await ok(await client.post("/api/v1/groups", json={"name": "Empty"}), 201)
    listed = await ok_list(await client.get("/api/v1/groups"))
    assert [(g["name"], g["student_ids"]) for g in listed] == [
        ("5A", sorted([s1.id, s2.id])),
        ("Empty", []),
    ]

    renamed = await ok(await client.patch(url, json={"name": "5B"}))
    assert renamed["name"] == "5B"
    added = await ok(await client.post(f"{url}/members", json={"student_ids": [s3.id, s1.id]}))
    assert added["student_ids"] == sorted([s1.id, s2.id, s3.id])
    removed = await ok(await client.delete(f"{url}/members/{s2.id}"))
    assert removed["student_ids"] == sorted([s1.id, s3.id])
    assert (await client.delete(f"{url}/members/{s2.id}")).status_code == 404
    assert (await client.post(f"{url}/members", json={"student_ids": []})).status_code == 422

    assert (await client.delete(f"/api/v1/groups/{empty['id']}")).status_code == 204
    assert (await client.get(f"/api/v1/groups/{empty['id']}")).status_code == 404
    assert [g["name"] for g in await ok_list(await client.get("/api/v1/groups"))] == ["5B"]


async def test_group_members_must_be_the_teachers_students(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    other_teacher = await people.teacher()
    mine = await people.student(teacher)
    theirs = await people.student(other_teacher)
    await login_as(client, teacher.email)

    response = await client.post(
        "/api/v1/groups", json={"name": "X", "student_ids": [mine.id, theirs.id]}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "student_ids"
    assert str(theirs.id) in response.json()["detail"]
    assert await ok_list(await client.get("/api/v1/groups")) == []

    group = await ok(await client.post("/api/v1/groups", json={"name": "Y"}), 201)
    refused = await client.post(
        f"/api/v1/groups/{group['id']}/members", json={"student_ids": [theirs.id]}
    )
    assert refused.status_code == 422
    assert (await ok(await client.get(f"/api/v1/groups/{group['id']}")))["student_ids"] == []


async def test_newcomer_gets_the_groups_open_assignments_but_not_past_due_ones(
    client: httpx.AsyncClient, people: People, connection: AsyncConnection
) -> None:
    teacher = await people.teacher()
    member = await people.student(teacher)
    newcomer = await people.student(teacher)
    await login_as(client, teacher.email)
    group = await ok(
        await client.post("/api/v1/groups", json={"name": "G", "student_ids": [member.id]}), 201
    )

    titles_and_due = {
        "Open": iso(timedelta(days=3)),
        "Undated": None,
        "Past due": iso(-timedelta(hours=1)),
        "Archived": iso(timedelta(days=3)),
    }
    lessons: dict[str, Json] = {}
    for title, due_at in titles_and_due.items():
        lessons[title] = await create_lesson(client, quiz_lesson(title=title))
        await assign(
            client, lessons[title]["id"], group_ids=[group["id"]], due_at=due_at, allow_past=True
        )
    direct = await create_lesson(client, quiz_lesson(title="Direct"))
    await assign_one(client, direct["id"], member.id)
    assert (await client.delete(f"/api/v1/lessons/{lessons['Archived']['id']}")).status_code == 204
    edited = await ok(
        await client.patch(f"/api/v1/lessons/{lessons['Open']['id']}", json={"content": []})
    )
    assert edited["version"] == 2

    assert await lessons_of(client, newcomer.id) == []
    await ok(
        await client.post(
            f"/api/v1/groups/{group['id']}/members", json={"student_ids": [newcomer.id]}
        )
    )
    assert await lessons_of(client, newcomer.id) == ["Open", "Undated"]
    assert await lessons_of(client, member.id) == [
        "Archived",
        "Direct",
        "Open",
        "Past due",
        "Undated",
    ]

    await act_as_teacher(connection, teacher.id)
    rows = await connection.execute(
        text(
            "SELECT lesson_id, group_id, lesson_version, due_at FROM lesson_assignments"
            " WHERE teacher_id = :t AND student_id = :s"
        ),
        {"t": teacher.id, "s": newcomer.id},
    )
    given = {row[0]: row[1:] for row in rows.all()}
    assert set(given) == {lessons["Open"]["id"], lessons["Undated"]["id"]}
    open_group, open_version, open_due = given[lessons["Open"]["id"]]
    assert (open_group, open_version) == (group["id"], 2)  # the lesson's current version
    assert open_due is not None and open_due > datetime.now(UTC)
    assert given[lessons["Undated"]["id"]][2] is None

    # Adding the same student again gives nothing twice.
    await ok(
        await client.post(
            f"/api/v1/groups/{group['id']}/members", json={"student_ids": [newcomer.id]}
        )
    )
    assert await lessons_of(client, newcomer.id) == ["Open", "Undated"]


async def test_deleting_a_group_keeps_the_students_assignments(
    client: httpx.AsyncClient,
    people: People,
    make_client: ClientFactory,
    connection: AsyncConnection,
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    group = await ok(
        await client.post("/api/v1/groups", json={"name": "G", "student_ids": [student.id]}), 201
    )
    lesson = await create_lesson(client, quiz_lesson())
    result = await assign(client, lesson["id"], group_ids=[group["id"]])
    assignment_id = result["assignment_ids"][0]
    submitted = await ok(
        await student_http.post(
            f"/api/v1/assignments/{assignment_id}/submit", json={"answers": {"q1": "b"}}
        )
    )

    assert (await client.delete(f"/api/v1/groups/{group['id']}")).status_code == 204
    assert (await client.get(f"/api/v1/groups/{group['id']}")).status_code == 404
    after = await ok(await student_http.get(f"/api/v1/assignments/{assignment_id}"))
    assert (after["status"], after["score"], after["answers"]) == (
        submitted["status"],
        submitted["score"],
        {"q1": "b"},
    )
    await act_as_teacher(connection, teacher.id)
    group_id = await connection.scalar(
        text("SELECT group_id FROM lesson_assignments WHERE teacher_id = :t AND id = :a"),
        {"t": teacher.id, "a": assignment_id},
    )
    assert group_id is None
    members = await connection.scalar(
        text("SELECT count(*) FROM student_group_members WHERE teacher_id = :t"), {"t": teacher.id}
    )
    assert members == 0
