"""Shared pieces of the LMS tests: logged-in clients, a lesson with every block type whose answer
keys are easy to spot, and a walk over JSON that finds answer-key material."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.schemas.accounts import StudentRead, TeacherRead
from tests.conftest import People, login_as

Json = dict[str, Any]
ClientFactory = Callable[[], httpx.AsyncClient]

# Keys that carry answer keys in the teacher's block models (`right_id` pairs up matching items).
KEY_NAMES = frozenset({"correct", "accepted", "value", "tolerance", "explanation", "right_id"})
# Strings that appear only in the answer keys below: a student response must never contain them
# (the numbers have more digits than any timestamp or score in a response could show).
SECRET_STRINGS = ("KEY-", "271828.182845", "0.0123456789")

MATCH_PAIRS = [
    ("p1", "cat", "кошка"),
    ("p2", "dog", "собака"),
    ("p3", "cow", "корова"),
    ("p4", "pig", "свинья"),
    ("p5", "hen", "курица"),
    ("p6", "fox", "лиса"),
    ("p7", "owl", "сова"),
    ("p8", "elk", "лось"),
]
ORDER_ITEMS = [("s1", "first"), ("s2", "second"), ("s3", "third"), ("s4", "fourth")]

FULL_CONTENT: list[Json] = [
    {"id": "intro", "type": "text", "markdown": "# Intro"},
    {"id": "vid", "type": "video", "url": "https://www.youtube.com/watch?v=abc", "title": "Clip"},
    {"id": "doc", "type": "pdf", "url": "https://example.org/a.pdf"},
    {"id": "pic", "type": "image", "url": "https://example.org/a.png", "alt": "A cat"},
    {"id": "att", "type": "file", "url": "https://example.org/a.zip"},
    {
        "id": "sc",
        "type": "single_choice",
        "prompt": "2 + 2?",
        "options": [{"id": "o3", "text": "three"}, {"id": "o4", "text": "four"}],
        "correct": "o4",
        "points": 2,
        "explanation": "KEY-EXPLANATION-SC",
    },
    {
        "id": "mc",
        "type": "multiple_choice",
        "prompt": "Primes?",
        "options": [
            {"id": "m2", "text": "two"},
            {"id": "m4", "text": "four"},
            {"id": "m5", "text": "five"},
        ],
        "correct": ["m2", "m5"],
        "points": 2,
    },
    {"id": "tf", "type": "true_false", "prompt": "The sky is blue", "correct": True},
    {
        "id": "sa",
        "type": "short_answer",
        "prompt": "Capital of France?",
        "accepted": ["Paris", "KEY-SHORT-ANSWER"],
        "explanation": "KEY-EXPLANATION-SA",
    },
    {
        "id": "num",
        "type": "numeric",
        "prompt": "A number?",
        "value": "271828.182845",
        "tolerance": "0.0123456789",
    },
    {
        "id": "mat",
        "type": "matching",
        "prompt": "Match the animals",
        "pairs": [{"id": pid, "left": left, "right": right} for pid, left, right in MATCH_PAIRS],
    },
    {
        "id": "ord",
        "type": "ordering",
        "prompt": "Put in order",
        "items": [{"id": iid, "text": label} for iid, label in ORDER_ITEMS],
    },
    {
        "id": "fb",
        "type": "fill_blanks",
        "prompt": "Fill in",
        "text": "I [[g1]] a [[g2]].",
        "gaps": [{"id": "g1", "accepted": ["am"]}, {"id": "g2", "accepted": ["KEY-GAP"]}],
    },
    {"id": "es", "type": "essay", "prompt": "Write about your day", "points": 5},
]
QUESTION_IDS = ("sc", "mc", "tf", "sa", "num", "mat", "ord", "fb", "es")


def iso(delta: timedelta) -> str:
    """A time-zone-aware ISO datetime relative to now."""
    return (datetime.now(UTC) + delta).isoformat()


def full_lesson(**overrides: Any) -> Json:
    """A published lesson with one block of every type (a fresh copy each time)."""
    return {
        "title": "Everything",
        "status": "published",
        "content": copy.deepcopy(FULL_CONTENT),
        **overrides,
    }


def quiz_lesson(**overrides: Any) -> Json:
    """A small auto-graded lesson: 2 + 1 points, no essay (submitting grades it at once)."""
    return {
        "title": "Quiz",
        "status": "published",
        "content": [
            {"id": "intro", "type": "text", "markdown": "Read this"},
            {
                "id": "q1",
                "type": "single_choice",
                "prompt": "He ___ to school.",
                "options": [{"id": "a", "text": "go"}, {"id": "b", "text": "goes"}],
                "correct": "b",
                "points": 2,
            },
            {"id": "q2", "type": "true_false", "prompt": "Water is wet", "correct": True},
        ],
        **overrides,
    }


def essay_lesson(**overrides: Any) -> Json:
    return {
        "title": "Essay",
        "status": "published",
        "content": [
            {"id": "q1", "type": "true_false", "prompt": "Ok?", "correct": True, "points": 1},
            {"id": "es", "type": "essay", "prompt": "Write", "points": 5},
        ],
        **overrides,
    }


async def teacher_client(
    people: People, make_client: ClientFactory
) -> tuple[TeacherRead, httpx.AsyncClient]:
    teacher = await people.teacher()
    client = make_client()
    await login_as(client, teacher.email)
    return teacher, client


async def student_client(
    people: People, make_client: ClientFactory, teacher: TeacherRead
) -> tuple[StudentRead, httpx.AsyncClient]:
    student = await people.student(teacher)
    client = make_client()
    await login_as(client, student.email)
    return student, client


async def create_lesson(client: httpx.AsyncClient, body: Json) -> Json:
    response = await client.post("/api/v1/lessons", json=body)
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


async def assign(client: httpx.AsyncClient, lesson_id: int, **body: Any) -> Json:
    response = await client.post("/api/v1/assignments", json={"lesson_id": lesson_id, **body})
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


async def assign_one(client: httpx.AsyncClient, lesson_id: int, student_id: int) -> int:
    """Assign a lesson to one student and return the new assignment's id."""
    result = await assign(client, lesson_id, student_ids=[student_id])
    assert result["created"] == 1, result
    assignment_id: int = result["assignment_ids"][0]
    return assignment_id


async def ok(response: httpx.Response, status: int = 200) -> Json:
    assert response.status_code == status, response.text
    body: Json = response.json()
    return body


async def ok_list(response: httpx.Response) -> list[Json]:
    """The body of a 200 response that is a JSON list (folders, groups, a preview)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list), body
    return body


async def act_as_teacher(connection: AsyncConnection, teacher_id: int) -> None:
    """Set the tenant context on the test's own connection, as the app does per transaction."""
    await connection.execute(
        text(
            "SELECT set_config('app.teacher_id', :t, true),"
            " set_config('app.role', 'teacher', true), set_config('app.user_id', :t, true)"
        ),
        {"t": str(teacher_id)},
    )


def walk_keys(value: object, path: str = "$") -> Iterator[tuple[str, str]]:
    """Every (path, key) of every object inside a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, key
            yield from walk_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_keys(item, f"{path}[{index}]")


def key_material(body: object, *, allow_revealed: bool = False) -> list[str]:
    """Where answer-key material sits in a student-facing response (empty when there is none)."""
    found: list[str] = []
    if isinstance(body, dict) and allow_revealed:
        body = {key: value for key, value in body.items() if key != "revealed"}
    for path, key in walk_keys(body):
        if key in KEY_NAMES:
            found.append(f"{path}.{key}")
    dumped = str(body)
    found.extend(f"text contains {secret!r}" for secret in SECRET_STRINGS if secret in dumped)
    return found


def blocks_by_id(view: Json) -> dict[str, Json]:
    return {block["id"]: block for block in view["blocks"]}
