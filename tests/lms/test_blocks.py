"""Lesson content validation through `POST /api/v1/lessons`: a valid example of each of the 14
block types, and invalid blocks answered with 422 naming the block index and field — with
nothing created."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.schemas.lms.blocks import BLOCK_TYPES, MAX_BLOCKS
from tests.conftest import People, login_as
from tests.lms.helpers import FULL_CONTENT, Json, act_as_teacher, create_lesson, ok

INTRO: Json = {"id": "intro", "type": "text", "markdown": "Read first"}
OPTIONS = [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]


def lesson_with(block: Json) -> Json:
    """The invalid block always sits at index 1, after a valid text block."""
    return {"title": "Broken", "content": [INTRO, block]}


async def lesson_count(client: httpx.AsyncClient) -> int:
    total: int = (await ok(await client.get("/api/v1/lessons?status=draft")))["total"]
    return total


async def insert_media(connection: AsyncConnection, teacher_id: int) -> int:
    """An uploaded file of this teacher's, written the way the media feature will."""
    await act_as_teacher(connection, teacher_id)
    media_id = await connection.scalar(
        text(
            "INSERT INTO media (teacher_id, filename, content_type, size_bytes, storage_key,"
            " status) VALUES (:t, 'a.png', 'image/png', 10, :key, 'ready') RETURNING id"
        ),
        {"t": teacher_id, "key": f"media/{teacher_id}/a.png"},
    )
    assert isinstance(media_id, int)
    return media_id


def is_subset(sent: object, stored: object) -> bool:
    """Everything sent was stored (numbers compared by value; defaults may be added)."""
    if isinstance(sent, dict):
        return isinstance(stored, dict) and all(
            key in stored and is_subset(value, stored[key]) for key, value in sent.items()
        )
    if isinstance(sent, list):
        return (
            isinstance(stored, list)
            and len(sent) == len(stored)
            and all(is_subset(a, b) for a, b in zip(sent, stored, strict=True))
        )
    if isinstance(sent, int | float) and not isinstance(sent, bool):
        return Decimal(str(sent)) == Decimal(str(stored))
    if isinstance(stored, str) and isinstance(sent, str) and sent != stored:
        try:
            return Decimal(sent) == Decimal(stored)
        except ArithmeticError:
            return False
    return sent == stored


# --- valid content


async def test_every_block_type_has_a_valid_example(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    assert {block["type"] for block in FULL_CONTENT} == set(BLOCK_TYPES)
    assert len(BLOCK_TYPES) == 14

    lesson = await create_lesson(client, {"title": "All", "content": FULL_CONTENT})
    assert [block["id"] for block in lesson["content"]] == [b["id"] for b in FULL_CONTENT]
    assert [block["type"] for block in lesson["content"]] == [b["type"] for b in FULL_CONTENT]
    assert lesson["question_count"] == 9
    assert Decimal(lesson["max_score"]) == 15  # 2 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 5
    assert lesson["version"] == 1

    # Each block also stands alone, and comes back as sent (plus defaults).
    for block in FULL_CONTENT:
        single = await create_lesson(client, {"title": block["type"], "content": [block]})
        stored = (await ok(await client.get(f"/api/v1/lessons/{single['id']}")))["content"]
        assert len(stored) == 1
        assert is_subset(block, stored[0]), (block, stored[0])
    assert await lesson_count(client) == 15


async def test_defaults_fill_in_ids_points_and_forgiving_matching(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson = await create_lesson(
        client,
        {
            "title": "Defaults",
            "content": [
                {"type": "short_answer", "prompt": "?", "accepted": ["x"]},
                {
                    "type": "matching",
                    "prompt": "?",
                    "pairs": [{"left": "a", "right": "b"}, {"left": "c", "right": "d"}],
                },
            ],
        },
    )
    short, match = lesson["content"]
    assert short["id"] and Decimal(short["points"]) == 1
    assert short["matching"] == {
        "trim": True,
        "case_sensitive": False,
        "yo_equals_e": True,
        "collapse_spaces": True,
    }
    left_ids = {pair["id"] for pair in match["pairs"]}
    right_ids = {pair["right_id"] for pair in match["pairs"]}
    assert len(left_ids) == 2 and len(right_ids) == 2
    assert not left_ids & right_ids
    # Ids are kept as stored: reading again gives the same ones.
    again = (await ok(await client.get(f"/api/v1/lessons/{lesson['id']}")))["content"]
    assert again == lesson["content"]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=abc",
        "https://youtube.com/watch?v=abc",
        "https://m.youtube.com/watch?v=abc",
        "https://youtu.be/abc",
        "https://vk.com/video-1_2",
        "https://vkvideo.ru/video-1_2",
        "https://vk.ru/video-1_2",
        "https://rutube.ru/video/abc/",
        "https://RUTUBE.RU/video/abc/",
    ],
)
async def test_video_links_from_youtube_vk_video_and_rutube(
    client: httpx.AsyncClient, people: People, url: str
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson = await create_lesson(
        client, {"title": "Video", "content": [{"type": "video", "url": url}]}
    )
    assert lesson["content"][0]["url"] == url


async def test_media_blocks_accept_the_teachers_own_upload(
    client: httpx.AsyncClient, people: People, connection: AsyncConnection
) -> None:
    teacher = await people.teacher()
    media_id = await insert_media(connection, teacher.id)
    await login_as(client, teacher.email)
    content = [
        {"type": "image", "media_id": media_id, "alt": "Diagram"},
        {"type": "pdf", "media_id": media_id},
        {"type": "file", "media_id": media_id, "title": "Worksheet"},
        {"type": "video", "media_id": media_id},
    ]
    lesson = await create_lesson(client, {"title": "Uploads", "content": content})
    assert [block["media_id"] for block in lesson["content"]] == [media_id] * 4
    assert all(block["url"] is None for block in lesson["content"])


# --- invalid content: 422 naming the block index and the field

LONG = "x" * 50_001
INVALID: dict[str, list[tuple[Json, list[Any]]]] = {
    "text": [
        ({"type": "text"}, ["text", "markdown"]),
        ({"type": "text", "markdown": LONG}, ["text", "markdown"]),
        ({"type": "text", "markdown": "x", "html": "<b>"}, ["text", "html"]),
        ({"type": "text", "markdown": "x", "id": "has space"}, ["text", "id"]),
    ],
    "video": [
        ({"type": "video", "url": "http://www.youtube.com/watch?v=a"}, ["video", "url"]),
        ({"type": "video", "url": "https://vimeo.com/1"}, ["video", "url"]),
        ({"type": "video", "url": "https://youtube.com.evil.ru/x"}, ["video", "url"]),
        ({"type": "video", "url": "https://notyoutube.com/x"}, ["video", "url"]),
        ({"type": "video", "url": "javascript:alert(1)"}, ["video", "url"]),
        ({"type": "video"}, ["video"]),
        ({"type": "video", "url": "https://youtu.be/a", "media_id": 5}, ["video"]),
    ],
    "pdf": [
        ({"type": "pdf", "url": "http://example.org/a.pdf"}, ["pdf", "url"]),
        ({"type": "pdf", "url": "ftp://example.org/a.pdf"}, ["pdf", "url"]),
        ({"type": "pdf", "media_id": 0}, ["pdf", "media_id"]),
        ({"type": "pdf"}, ["pdf"]),
    ],
    "image": [
        ({"type": "image", "url": "https://example.org/a.png"}, ["image", "alt"]),
        ({"type": "image", "url": "https://example.org/a.png", "alt": "   "}, ["image", "alt"]),
        ({"type": "image", "alt": "A cat"}, ["image"]),
    ],
    "file": [
        ({"type": "file", "url": "http://example.org/a.zip"}, ["file", "url"]),
        ({"type": "file", "url": "https://example.org/a.zip", "media_id": 3}, ["file"]),
        ({"type": "file", "url": "https://example.org/a.zip", "size": 1}, ["file", "size"]),
    ],
    "single_choice": [
        (
            {"type": "single_choice", "prompt": "?", "options": OPTIONS, "correct": "z"},
            ["single_choice", "correct"],
        ),
        (
            {"type": "single_choice", "prompt": "?", "options": OPTIONS[:1], "correct": "a"},
            ["single_choice", "options"],
        ),
        (
            {"type": "single_choice", "prompt": "?", "options": OPTIONS},
            ["single_choice", "correct"],
        ),
        (
            {
                "type": "single_choice",
                "prompt": "?",
                "options": [OPTIONS[0], {"id": "a", "text": "again"}],
                "correct": "a",
            },
            ["single_choice", "correct"],
        ),
        (
            {"type": "single_choice", "options": OPTIONS, "correct": "a"},
            ["single_choice", "prompt"],
        ),
        (
            {
                "type": "single_choice",
                "prompt": "?",
                "options": [OPTIONS[0], {"id": "b", "text": "  "}],
                "correct": "a",
            },
            ["single_choice", "options", 1, "text"],
        ),
    ],
    "multiple_choice": [
        (
            {"type": "multiple_choice", "prompt": "?", "options": OPTIONS, "correct": ["a", "z"]},
            ["multiple_choice", "correct"],
        ),
        (
            {"type": "multiple_choice", "prompt": "?", "options": OPTIONS, "correct": []},
            ["multiple_choice", "correct"],
        ),
        (
            {"type": "multiple_choice", "prompt": "?", "options": OPTIONS, "correct": ["a", "a"]},
            ["multiple_choice", "correct"],
        ),
        (
            {
                "type": "multiple_choice",
                "prompt": "?",
                "options": OPTIONS,
                "correct": ["a"],
                "scoring": "generous",
            },
            ["multiple_choice", "scoring"],
        ),
    ],
    "true_false": [
        ({"type": "true_false", "prompt": "?"}, ["true_false", "correct"]),
        ({"type": "true_false", "prompt": "?", "correct": "maybe"}, ["true_false", "correct"]),
        (
            {"type": "true_false", "prompt": "?", "correct": True, "points": 0},
            ["true_false", "points"],
        ),
        (
            {"type": "true_false", "prompt": "?", "correct": True, "points": 1001},
            ["true_false", "points"],
        ),
    ],
    "short_answer": [
        ({"type": "short_answer", "prompt": "?", "accepted": []}, ["short_answer", "accepted"]),
        (
            {"type": "short_answer", "prompt": "?", "accepted": [""]},
            ["short_answer", "accepted", 0],
        ),
        (
            {"type": "short_answer", "prompt": "?", "accepted": ["x"], "matching": {"fuzzy": 1}},
            ["short_answer", "matching", "fuzzy"],
        ),
    ],
    "numeric": [
        ({"type": "numeric", "prompt": "?", "value": "abc"}, ["numeric", "value"]),
        ({"type": "numeric", "prompt": "?"}, ["numeric", "value"]),
        (
            {"type": "numeric", "prompt": "?", "value": "1", "tolerance": "-0.5"},
            ["numeric", "tolerance"],
        ),
    ],
    "matching": [
        (
            {"type": "matching", "prompt": "?", "pairs": [{"left": "a", "right": "b"}]},
            ["matching", "pairs"],
        ),
        (
            {
                "type": "matching",
                "prompt": "?",
                "pairs": [
                    {"id": "p", "left": "a", "right": "b"},
                    {"id": "p", "left": "c", "right": "d"},
                ],
            },
            ["matching", "pairs"],
        ),
        (
            {
                "type": "matching",
                "prompt": "?",
                "pairs": [
                    {"id": "p1", "left": "a", "right": "b", "right_id": "p1"},
                    {"id": "p2", "left": "c", "right": "d", "right_id": "p2"},
                ],
            },
            ["matching", "pairs"],
        ),
        (
            {
                "type": "matching",
                "prompt": "?",
                "pairs": [
                    {"left": "a", "right": "b", "right_id": "r"},
                    {"left": "c", "right": "d", "right_id": "r"},
                ],
            },
            ["matching", "pairs"],
        ),
        (
            {
                "type": "matching",
                "prompt": "?",
                "pairs": [{"left": "a"}, {"left": "c", "right": "d"}],
            },
            ["matching", "pairs", 0, "right"],
        ),
    ],
    "ordering": [
        (
            {"type": "ordering", "prompt": "?", "items": [{"id": "a", "text": "A"}]},
            ["ordering", "items"],
        ),
        (
            {
                "type": "ordering",
                "prompt": "?",
                "items": [{"id": "a", "text": "A"}, {"id": "a", "text": "B"}],
            },
            ["ordering", "items"],
        ),
    ],
    "fill_blanks": [
        (
            {
                "type": "fill_blanks",
                "prompt": "?",
                "text": "I [[g1]] a [[g2]]",
                "gaps": [{"id": "g1", "accepted": ["am"]}],
            },
            ["fill_blanks", "gaps"],
        ),
        (
            {
                "type": "fill_blanks",
                "prompt": "?",
                "text": "No markers here",
                "gaps": [{"id": "g1", "accepted": ["am"]}],
            },
            ["fill_blanks", "gaps"],
        ),
        (
            {
                "type": "fill_blanks",
                "prompt": "?",
                "text": "[[g1]] and [[g1]]",
                "gaps": [{"id": "g1", "accepted": ["a"]}, {"id": "g1", "accepted": ["b"]}],
            },
            ["fill_blanks", "gaps"],
        ),
        (
            {"type": "fill_blanks", "prompt": "?", "text": "[[g1]]", "gaps": []},
            ["fill_blanks", "gaps"],
        ),
        (
            {
                "type": "fill_blanks",
                "prompt": "?",
                "text": "[[g1]]",
                "gaps": [{"id": "g1", "accepted": []}],
            },
            ["fill_blanks", "gaps", 0, "accepted"],
        ),
    ],
    "essay": [
        ({"type": "essay", "prompt": "?", "min_words": -1}, ["essay", "min_words"]),
        ({"type": "essay", "prompt": "?", "max_words": 0}, ["essay", "max_words"]),
        ({"type": "essay", "prompt": "?", "correct": "x"}, ["essay", "correct"]),
    ],
}


def test_every_block_type_has_invalid_cases() -> None:
    assert set(INVALID) == set(BLOCK_TYPES)


@pytest.mark.parametrize("block_type", BLOCK_TYPES)
async def test_invalid_block_is_422_naming_index_and_field_and_creates_nothing(
    client: httpx.AsyncClient, people: People, connection: AsyncConnection, block_type: str
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    for block, field_path in INVALID[block_type]:
        response = await client.post("/api/v1/lessons", json=lesson_with(copy.deepcopy(block)))
        assert response.status_code == 422, (block, response.text)
        expected = ".".join(str(part) for part in ["content", 1, *field_path])
        fields = [error["field"] for error in response.json()["errors"]]
        assert expected in fields, (block, fields)
    assert await lesson_count(client) == 0
    await act_as_teacher(connection, teacher.id)
    stored = await connection.scalar(
        text("SELECT count(*) FROM lessons WHERE teacher_id = :t"), {"t": teacher.id}
    )
    assert stored == 0


async def test_unknown_block_type_and_duplicate_block_ids(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    unknown = await client.post("/api/v1/lessons", json=lesson_with({"type": "quiz"}))
    assert unknown.status_code == 422
    assert "content.1" in [error["field"] for error in unknown.json()["errors"]]

    twice = {"title": "Twice", "content": [INTRO, {**INTRO, "markdown": "again"}]}
    duplicate = await client.post("/api/v1/lessons", json=twice)
    assert duplicate.status_code == 422
    errors = duplicate.json()["errors"]
    assert [error["code"] for error in errors] == ["duplicate_id"]
    assert errors[0]["field"] == "content"

    too_many = {"title": "Long", "content": [{"type": "text", "markdown": "x"}] * (MAX_BLOCKS + 1)}
    assert (await client.post("/api/v1/lessons", json=too_many)).status_code == 422
    assert await lesson_count(client) == 0


async def test_media_of_another_teacher_is_refused_naming_the_block(
    client: httpx.AsyncClient, people: People, connection: AsyncConnection
) -> None:
    teacher_a = await people.teacher()
    teacher_b = await people.teacher()
    own = await insert_media(connection, teacher_a.id)
    foreign = await insert_media(connection, teacher_b.id)
    await login_as(client, teacher_a.email)

    for media_id in (foreign, foreign + 1_000_000):
        body = lesson_with({"type": "image", "media_id": media_id, "alt": "x"})
        response = await client.post("/api/v1/lessons", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "content.1.media_id"
    assert await lesson_count(client) == 0

    lesson = await create_lesson(
        client, lesson_with({"id": "pic", "type": "image", "media_id": own, "alt": "x"})
    )
    patch = {"content": [INTRO, {"type": "pdf", "media_id": foreign}, INTRO | {"id": "end"}]}
    response = await client.patch(f"/api/v1/lessons/{lesson['id']}", json=patch)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "content.1.media_id"
    unchanged = await ok(await client.get(f"/api/v1/lessons/{lesson['id']}"))
    assert unchanged["version"] == 1
    assert unchanged["content"][1]["media_id"] == own
