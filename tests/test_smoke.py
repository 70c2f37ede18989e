from __future__ import annotations

import httpx

from tests.conftest import People, login_as


async def test_teacher_creates_student_and_sees_only_their_own(
    client: httpx.AsyncClient, make_client, people: People
) -> None:
    teacher = await people.teacher()
    other = await people.teacher()
    mine = await people.student(teacher)
    theirs = await people.student(other)
    await login_as(client, teacher.email)
    listed = (await client.get("/api/v1/students")).json()
    assert [s["id"] for s in listed["items"]] == [mine.id]
    assert (await client.get(f"/api/v1/students/{theirs.id}")).status_code == 404
    created = await client.post(
        "/api/v1/students",
        json={
            "email": "new@example.com",
            "password": "Correct-Horse-42!",
            "name": "N",
            "surname": "S",
        },
    )
    assert created.status_code == 201, created.text
