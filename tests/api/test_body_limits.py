"""Request bodies are limited before anything reads them (app.core.limits): 413 in the one error
shape for the API, a translated plain text for pages; lesson content and student work get the
larger limit; chunked bodies without a Content-Length are counted as they stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import URL

from app.core.config import Settings
from app.core.database import Database
from app.core.limits import BodyLimitMiddleware
from app.main import create_app
from app.schemas.errors import ErrorResponse
from tests.conftest import People, login_as, make_settings

LOGIN = "/api/v1/auth/login"
LESSONS = "/api/v1/lessons"
JSON = {"content-type": "application/json"}
KIB = 1024


class Chunks:
    """A request body streamed in chunks (no Content-Length), counting what the app pulled."""

    def __init__(self, count: int, size: int = KIB) -> None:
        self.count, self.size, self.pulled = count, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.pulled += 1
            yield b" " * self.size


def assert_too_large(response: httpx.Response, limit: int) -> dict[str, Any]:
    assert response.status_code == 413, response.text
    body: dict[str, Any] = response.json()
    ErrorResponse.model_validate(body)
    assert body["code"] == "too_large"
    assert body["field"] is None
    assert f"{limit // KIB} КБ" in body["detail"]
    return body


async def test_declared_oversized_login_is_refused_without_reading_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    body = Chunks(64 * KIB)  # would be 64 MB
    response = await client.post(
        LOGIN, content=body, headers={**JSON, "content-length": str(64 * KIB * KIB)}
    )
    assert_too_large(response, settings.max_body_bytes)
    assert body.pulled == 0


async def test_chunked_login_is_refused_once_it_passes_the_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    body = Chunks(1000)  # 1 MB, no Content-Length
    response = await client.post(LOGIN, content=body, headers=JSON)
    assert "content-length" not in response.request.headers
    assert_too_large(response, settings.max_body_bytes)
    assert body.pulled <= settings.max_body_bytes // KIB + 2


async def test_a_body_under_the_limit_is_parsed_as_usual(client: httpx.AsyncClient) -> None:
    padding = "x" * (60 * KIB)
    response = await client.post(LOGIN, json={"email": "a@example.com", "password": padding})
    assert response.status_code == 422, response.text


async def test_ordinary_routes_have_the_small_limit(
    client: httpx.AsyncClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    response = await client.post("/api/v1/folders", json={"name": "x" * (100 * KIB)})
    assert_too_large(response, settings.max_body_bytes)


def big_real_lesson(characters: int) -> dict[str, Any]:
    """Long Russian reading texts, the biggest kind of block, in 10,000-character blocks."""
    paragraph = "Прочитайте текст и ответьте на вопросы. " * 250  # 10,000 characters
    blocks = characters // len(paragraph)
    content = [{"id": f"b{i}", "type": "text", "markdown": paragraph} for i in range(blocks)]
    return {"title": "Большой урок", "content": content}


async def test_a_big_real_lesson_fits_and_a_huge_one_is_refused(
    client: httpx.AsyncClient, people: People, settings: Settings
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    # 400,000 characters (~160 book pages): ~750 KB of UTF-8 JSON.
    big = await client.post(LESSONS, json=big_real_lesson(400_000))
    assert big.status_code == 201, big.text[:500]
    lesson_id = big.json()["id"]
    huge = big_real_lesson(1_200_000)  # ~2.2 MB
    assert_too_large(await client.post(LESSONS, json=huge), settings.max_content_body_bytes)
    refused = await client.patch(f"{LESSONS}/{lesson_id}", json=huge)
    assert_too_large(refused, settings.max_content_body_bytes)
    listed = (await client.get(LESSONS)).json()
    assert [item["id"] for item in listed["items"]] == [lesson_id]


async def test_page_form_over_the_limit_gets_translated_text_before_the_csrf_check_reads_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    declared = await client.post("/auth/login", content=b"a=" + b"x" * 70 * KIB, headers=form)
    streamed = await client.post("/auth/login", content=Chunks(200), headers=form)
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.headers["content-type"].startswith("text/plain")
        assert (
            response.text
            == f"Запрос слишком большой: не больше {settings.max_body_bytes // KIB} КБ"
        )


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/api/v1/lessons", True),
        ("/api/v1/lessons/12", True),
        ("/api/v1/lessons/12/duplicate", False),
        ("/lessons/12/blocks", True),
        ("/lessons/12/blocks/b1", True),
        ("/lessons/12/blocks/b1/move", True),
        ("/lessons/new", False),
        ("/api/v1/assignments/7/progress", True),
        ("/api/v1/assignments/7/submit", True),
        ("/api/v1/assignments/7/grade", True),
        ("/assignments/7/save", True),
        ("/assignments/7/submit", True),
        ("/assignments/7/grade", True),
        ("/api/v1/auth/login", False),
        ("/api/v1/folders", False),
        ("/api/v1/students", False),
        ("/auth/login", False),
    ],
)
def test_which_routes_get_the_content_limit(settings: Settings, path: str, content: bool) -> None:
    expected = settings.max_content_body_bytes if content else settings.max_body_bytes
    assert BodyLimitMiddleware(create_app(settings), settings).limit_for(path) == expected


@pytest.fixture
async def small_limit_client(
    owner_url: URL, database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(owner_url, max_body_bytes=2 * KIB)
    transport = httpx.ASGITransport(app=create_app(settings, database))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_the_limits_are_settings(small_limit_client: httpx.AsyncClient) -> None:
    response = await small_limit_client.post(
        LOGIN, json={"email": "a@b.cd", "password": "x" * 3000}
    )
    assert_too_large(response, 2 * KIB)
    assert (await small_limit_client.post(LOGIN, json={"email": 1})).status_code == 422


async def test_a_big_form_within_its_route_limit_passes_the_csrf_check(
    client: httpx.AsyncClient, people: People, settings: Settings
) -> None:
    """The CSRF check reads a url-encoded form whole to find its token: up to the route's limit
    (here 1.5 MiB posted to a grading form, over the 1 MiB it once stopped at), not less."""
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    token = client.cookies["csrftoken"]
    # Three fields of 500 KiB (a form field may hold at most 1 MiB: Starlette's own limit).
    body = b"&".join(f"f{n}=".encode() + b"x" * (500 * KIB) for n in range(3))
    body += b"&csrf_token=" + token.encode()
    assert len(body) < settings.max_content_body_bytes
    response = await client.post(
        "/assignments/999999/grade",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    # Past the body limit and the CSRF check: the route answers (no such assignment).
    assert response.status_code == 404, response.text[-600:]
    over = await client.post(
        "/assignments/999999/grade",
        content=b"feedback="
        + b"x" * settings.max_content_body_bytes
        + b"&csrf_token="
        + token.encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert over.status_code == 413
    assert over.text.startswith("Запрос слишком большой")
