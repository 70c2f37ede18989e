"""Lists: the page and its total come from one query; a page past the end still knows the total."""

from __future__ import annotations

import httpx

from tests.conftest import People, login_as


async def test_pages_and_totals_of_the_student_list(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    for _ in range(5):
        await people.student(teacher)
    await login_as(client, teacher.email)

    first = (await client.get("/api/v1/students?limit=2")).json()
    assert (len(first["items"]), first["total"], first["next_offset"]) == (2, 5, 2)
    last = (await client.get("/api/v1/students?limit=2&offset=4")).json()
    assert (len(last["items"]), last["total"], last["next_offset"]) == (1, 5, None)
    beyond = (await client.get("/api/v1/students?limit=2&offset=10")).json()
    assert (beyond["items"], beyond["total"], beyond["next_offset"]) == ([], 5, None)
    ids = [s["id"] for s in first["items"]] + [
        s["id"] for s in (await client.get("/api/v1/students?limit=2&offset=2")).json()["items"]
    ]
    assert len(set(ids)) == 4  # no row on two pages


async def test_an_empty_list_has_total_zero(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    empty = (await client.get("/api/v1/lessons")).json()
    assert (empty["items"], empty["total"], empty["next_offset"]) == ([], 0, None)
