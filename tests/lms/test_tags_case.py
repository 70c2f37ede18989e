"""Tags keep their case ("ОГЭ" stays "ОГЭ", not "#огэ"): stored trimmed and as typed, a repeat in
another case dropped; the search and the tag filter match them whatever the case."""

from __future__ import annotations

import httpx

from tests.conftest import People, login_as
from tests.lms.helpers import create_lesson, ok


async def titles(client: httpx.AsyncClient, query: str) -> list[str]:
    page = await ok(await client.get(f"/api/v1/lessons{query}"))
    return sorted(item["title"] for item in page["items"])


async def test_tags_are_stored_as_typed_and_matched_in_any_case(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    created = await create_lesson(
        client, {"title": "Вариант 1", "tags": [" ОГЭ ", "огэ", "Алгебра", "A1", "a1"]}
    )
    assert created["tags"] == ["ОГЭ", "Алгебра", "A1"]
    await create_lesson(client, {"title": "Grammar", "tags": ["Grammar"]})
    await create_lesson(client, {"title": "Без тегов"})

    for tag in ("ОГЭ", "огэ", "оГэ", " ОГЭ "):
        assert await titles(client, f"?tag={tag}") == ["Вариант 1"], tag
        assert await titles(client, f"?q={tag.strip()}") == ["Вариант 1"], tag
    assert await titles(client, "?tag=GRAMMAR") == ["Grammar"]
    assert await titles(client, "?tag=ОГ") == []  # a tag matches whole

    # An edit keeps the case too.
    lesson_url = f"/api/v1/lessons/{created['id']}"
    edited = await ok(await client.patch(lesson_url, json={"tags": ["ЕГЭ", "ЕГЭ ", "егэ"]}))
    assert edited["tags"] == ["ЕГЭ"]


async def test_the_pages_show_tags_as_typed(client: httpx.AsyncClient, people: People) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    response = await client.post(
        "/lessons/new",
        data={"title": "Подготовка", "tags": "ОГЭ, Геометрия, огэ", "status": "draft"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    library = await client.get("/lessons")
    assert "#ОГЭ" in library.text and "#Геометрия" in library.text
    assert "#огэ" not in library.text
    found = await client.get("/lessons?q=огэ")
    assert "Подготовка" in found.text
