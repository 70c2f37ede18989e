"""Question banks through the API and the pages: preview (nothing saved), import into a new or an
existing lesson through the builder's save path, export as GIFT and back, and the refusals: other
teachers' lessons are missing, students are forbidden, bad files say why and change nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.config import Settings
from app.core.cookies import CSRF_COOKIE, CSRF_FORM_FIELD
from app.core.limits import BodyLimitMiddleware
from app.main import create_app
from app.schemas.lms.quiz_import import MAX_SOURCE_BYTES
from tests.conftest import People
from tests.lms.helpers import (
    ClientFactory,
    create_lesson,
    ok,
    quiz_lesson,
    student_client,
    teacher_client,
)
from tests.pages.helpers import browser_login

DATA = Path(__file__).parent / "data"
GIFT = (DATA / "quiz.gift").read_text(encoding="utf-8")
XML = (DATA / "quiz.xml").read_text(encoding="utf-8")
GIFT_QUESTIONS = 10  # 12 in the file, 2 that cannot be imported (lines 37 and 39)
XML_QUESTIONS = 8  # 9 in the file, the "calculated" one cannot be imported
PREVIEW = "/api/v1/lessons/import/preview"


async def _lesson_count(client: httpx.AsyncClient) -> int:
    total: int = (await ok(await client.get("/api/v1/lessons")))["total"]
    return total


async def test_preview_lists_questions_and_problems_and_saves_nothing(
    people: People, make_client: ClientFactory
) -> None:
    _, client = await teacher_client(people, make_client)
    body = await ok(await client.post(PREVIEW, json={"format": "gift", "source": GIFT}))
    assert body["format"] == "gift"
    assert len(body["questions"]) == GIFT_QUESTIONS
    first = body["questions"][0]
    assert (first["line"], first["name"], first["type"]) == (4, "Столица", "single_choice")
    assert first["block"]["correct"] == first["block"]["options"][0]["id"]
    assert [(p["line"], p["name"]) for p in body["problems"]] == [
        (37, "Плохой"),
        (39, "Без ответа"),
    ]
    assert body["problems"][0]["reason"].startswith("Несколько ответов отмечены верными")
    english = await ok(
        await client.post(PREVIEW, json={"source": GIFT}, headers={"accept-language": "en"})
    )
    assert len(english["questions"]) == GIFT_QUESTIONS
    assert await _lesson_count(client) == 0


async def test_import_into_a_new_lesson(people: People, make_client: ClientFactory) -> None:
    _, client = await teacher_client(people, make_client)
    created = await ok(
        await client.post("/api/v1/lessons/import", json={"source": GIFT, "title": "Из Moodle"}),
        201,
    )
    lesson = created["lesson"]
    assert created["imported"] == GIFT_QUESTIONS
    assert [p["line"] for p in created["problems"]] == [37, 39]
    assert (lesson["title"], lesson["status"]) == ("Из Moodle", "draft")
    assert len(lesson["content"]) == GIFT_QUESTIONS
    assert lesson["question_count"] == GIFT_QUESTIONS - 1  # one is a text block
    assert float(lesson["max_score"]) == GIFT_QUESTIONS - 1
    stored = await ok(await client.get(f"/api/v1/lessons/{lesson['id']}"))
    assert stored["content"] == lesson["content"]


async def test_import_appends_to_an_existing_lesson(
    people: People, make_client: ClientFactory
) -> None:
    _, client = await teacher_client(people, make_client)
    lesson = await create_lesson(client, quiz_lesson())
    url = f"/api/v1/lessons/{lesson['id']}/import"
    preview = await ok(await client.post(f"{url}/preview", json={"source": XML}))
    assert preview["format"] == "moodle_xml"
    assert len(preview["questions"]) == XML_QUESTIONS
    assert [(p["number"], p["name"]) for p in preview["problems"]] == [(9, "Формула")]
    result = await ok(
        await client.post(url, json={"source": XML, "base_updated_at": lesson["updated_at"]})
    )
    saved = result["lesson"]
    assert [b["id"] for b in saved["content"][:3]] == ["intro", "q1", "q2"]
    assert len(saved["content"]) == 3 + XML_QUESTIONS
    # 3 points before; the capital question is worth 2, the other six questions 1 each.
    assert float(saved["max_score"]) == 3 + 2 + 6
    assert saved["question_count"] == 2 + 7
    # A preview based on the lesson as it was before: stale, nothing imported.
    stale = await client.post(url, json={"source": XML, "base_updated_at": lesson["updated_at"]})
    assert stale.status_code == 409, stale.text
    assert stale.json()["code"] == "stale_version"
    again = await ok(await client.get(f"/api/v1/lessons/{lesson['id']}"))
    assert len(again["content"]) == 3 + XML_QUESTIONS


async def test_export_then_import_gives_the_same_questions(
    people: People, make_client: ClientFactory
) -> None:
    _, client = await teacher_client(people, make_client)
    first = (
        await ok(
            await client.post("/api/v1/lessons/import", json={"source": GIFT, "title": "A"}), 201
        )
    )["lesson"]
    response = await client.get(f"/api/v1/lessons/{first['id']}/export.gift")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("// Выгружено из Tutor Platform: A\n")
    assert "\\~" in text and "\\=" in text and "Москва" in text
    second = (
        await ok(
            await client.post("/api/v1/lessons/import", json={"source": text, "title": "B"}), 201
        )
    )["lesson"]

    def comparable(block: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in block.items() if k not in ("id", "pairs", "options", "correct")}
        data["options"] = [o["text"] for o in block.get("options", [])]
        data["pairs"] = [(p["left"], p["right"]) for p in block.get("pairs", [])]
        return data

    assert [comparable(b) for b in second["content"]] == [comparable(b) for b in first["content"]]
    assert second["max_score"] == first["max_score"]


async def test_export_names_the_blocks_gift_cannot_hold(
    people: People, make_client: ClientFactory
) -> None:
    _, client = await teacher_client(people, make_client)
    body = {
        "title": "Mixed",
        "content": [
            {"id": "v", "type": "video", "url": "https://www.youtube.com/watch?v=abc"},
            {"id": "t", "type": "true_false", "prompt": "Ok?", "correct": True},
        ],
    }
    lesson = await create_lesson(client, body)
    text = (await client.get(f"/api/v1/lessons/{lesson['id']}/export.gift")).text
    assert "// Не выгружены (в GIFT нет такого типа вопроса): блоки 1" in text
    assert "Ok? {TRUE}" in text


async def test_another_teachers_lesson_is_missing_and_unchanged(
    people: People, make_client: ClientFactory
) -> None:
    _, owner = await teacher_client(people, make_client)
    lesson = await create_lesson(owner, quiz_lesson())
    _, other = await teacher_client(people, make_client)
    base = f"/api/v1/lessons/{lesson['id']}"
    for response in (
        await other.post(f"{base}/import/preview", json={"source": GIFT}),
        await other.post(f"{base}/import", json={"source": GIFT}),
        await other.get(f"{base}/export.gift"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "not_found"
    missing = await other.post("/api/v1/lessons/999999/import", json={"source": GIFT})
    assert missing.status_code == 404
    assert (await ok(await owner.get(base)))["content"] == lesson["content"]


async def test_students_may_not_import_or_export(
    people: People, make_client: ClientFactory
) -> None:
    teacher, client = await teacher_client(people, make_client)
    lesson = await create_lesson(client, quiz_lesson())
    _, student = await student_client(people, make_client, teacher)
    for response in (
        await student.post(PREVIEW, json={"source": GIFT}),
        await student.post("/api/v1/lessons/import", json={"source": GIFT, "title": "x"}),
        await student.post(f"/api/v1/lessons/{lesson['id']}/import", json={"source": GIFT}),
        await student.get(f"/api/v1/lessons/{lesson['id']}/export.gift"),
    ):
        assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"source": "  \n "}, 422, "source"),
        ({"source": "<!DOCTYPE quiz [<!ENTITY a 'b'>]><quiz/>"}, 422, "source"),
        ({"source": "<quiz>\n<question>", "format": "moodle_xml"}, 422, "source"),
        ({"source": "<html/>"}, 422, "source"),
        ({"source": "Q {~a ~b}"}, 422, "source"),  # nothing importable
        ({"source": "Q {T}", "format": "yaml"}, 422, "format"),
        ({"source": "Q {T}", "title": ""}, 422, "title"),
        ({"source": "Q {T}\u0000", "title": "x"}, 422, None),
        ({"source": "Вопрос {T}" * (MAX_SOURCE_BYTES // 15), "title": "x"}, 413, "source"),
    ],
)
async def test_bad_input_says_why_and_changes_nothing(
    people: People, make_client: ClientFactory, body: dict[str, Any], status: int, field: str
) -> None:
    _, client = await teacher_client(people, make_client)
    response = await client.post("/api/v1/lessons/import", json={"title": "T", **body})
    assert response.status_code == status, response.text
    if field is not None:
        error = response.json()
        assert error["field"] == field or field in {e["field"] for e in error.get("errors", [])}
    assert await _lesson_count(client) == 0


async def test_an_import_may_not_pass_the_block_limit(
    people: People, make_client: ClientFactory
) -> None:
    _, client = await teacher_client(people, make_client)
    lesson = await create_lesson(client, quiz_lesson())
    many = "\n\n".join(f"Вопрос {n} {{T}}" for n in range(199))
    response = await client.post(f"/api/v1/lessons/{lesson['id']}/import", json={"source": many})
    assert response.status_code == 422, response.text
    assert "200" in response.json()["detail"]
    huge = "\n\n".join(f"Вопрос {n} {{T}}" for n in range(201))
    response = await client.post(PREVIEW, json={"source": huge})
    assert response.status_code == 422, response.text
    assert "201" in response.json()["detail"]


def test_the_import_routes_get_the_content_body_limit(settings: Settings) -> None:
    middleware = BodyLimitMiddleware(create_app(settings), settings)
    for path in (
        "/api/v1/lessons/import",
        "/api/v1/lessons/import/preview",
        "/api/v1/lessons/12/import",
        "/api/v1/lessons/12/import/preview",
        "/lessons/import",
        "/lessons/import/preview",
        "/lessons/12/import",
        "/lessons/12/import/preview",
    ):
        assert middleware.limit_for(path) == settings.max_content_body_bytes, path


# --- the pages


async def _browser(people: People, make_client: ClientFactory) -> httpx.AsyncClient:
    teacher = await people.teacher()
    client = make_client()
    await browser_login(client, teacher.email)
    return client


def _token(client: httpx.AsyncClient) -> dict[str, str]:
    return {CSRF_FORM_FIELD: client.cookies[CSRF_COOKIE]}


async def test_pages_upload_preview_and_confirm_into_a_new_lesson(
    people: People, make_client: ClientFactory
) -> None:
    client = await _browser(people, make_client)
    assert 'href="/lessons/import"' in (await client.get("/lessons")).text
    form = await client.get("/lessons/import")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text
    preview = await client.post(
        "/lessons/import/preview",
        data={**_token(client), "format": "auto"},
        files={"file": ("Мой_тест.gift", GIFT.replace("\n", "\r\n").encode("utf-8-sig"))},
    )
    assert preview.status_code == 200, preview.text
    page = preview.text
    assert "Строка 37" in page and "Строка 39" in page
    assert "Несколько ответов отмечены верными" in page
    assert page.count('class="card block import-question"') == GIFT_QUESTIONS
    assert 'value="Мой тест"' in page  # the title from the file name
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    confirm = await client.post(
        "/lessons/import",
        data={**_token(client), "format": "gift", "source": GIFT, "title": "Мой тест"},
        files={"unused": ("", b"")},  # multipart, as the page sends it
    )
    assert confirm.status_code == 303, confirm.text
    builder = await client.get(confirm.headers["location"])
    assert builder.status_code == 200
    assert "Импортировано блоков: 10" in builder.text
    assert "Мой тест" in builder.text
    assert builder.text.count('class="card block"') >= GIFT_QUESTIONS


async def test_pages_import_into_an_existing_lesson_and_export(
    people: People, make_client: ClientFactory
) -> None:
    client = await _browser(people, make_client)
    headers = {"x-csrf-token": client.cookies[CSRF_COOKIE]}
    created = await client.post("/api/v1/lessons", json=quiz_lesson(), headers=headers)
    lesson = created.json()
    builder = await client.get(f"/lessons/{lesson['id']}/edit")
    assert f'href="/lessons/{lesson["id"]}/import"' in builder.text
    assert f'href="/lessons/{lesson["id"]}/export.gift"' in builder.text
    preview = await client.post(
        f"/lessons/{lesson['id']}/import/preview",
        data={**_token(client), "source": XML, "format": "moodle_xml"},
        files={"file": ("", b"")},
    )
    assert preview.status_code == 200, preview.text
    assert "Вопрос 9 (Формула)" in preview.text
    assert 'name="base_updated_at"' in preview.text
    confirm = await client.post(
        f"/lessons/{lesson['id']}/import",
        data={**_token(client), "source": XML, "format": "moodle_xml"},
        files={"file": ("", b"")},
    )
    assert confirm.status_code == 303, confirm.text
    saved = (await client.get(f"/api/v1/lessons/{lesson['id']}", headers=headers)).json()
    assert len(saved["content"]) == 3 + XML_QUESTIONS
    download = await client.get(f"/lessons/{lesson['id']}/export.gift")
    assert download.status_code == 200
    assert "Москва" in download.text


async def test_pages_bad_files_show_the_form_again_with_the_reason(
    people: People, make_client: ClientFactory
) -> None:
    client = await _browser(people, make_client)
    empty = await client.post(
        "/lessons/import/preview",
        data={**_token(client), "source": "   "},
        files={"file": ("", b"")},
    )
    assert empty.status_code == 422
    assert "Файл пуст" in empty.text
    cp1251 = await client.post(
        "/lessons/import/preview",
        data=_token(client),
        files={"file": ("q.gift", "Вопрос {T}".encode("cp1251"))},
    )
    assert cp1251.status_code == 422
    assert "UTF-8" in cp1251.text
    nothing = await client.post(
        "/lessons/import",
        data={**_token(client), "source": "Q {~a ~b}", "title": "x"},
        files={"file": ("", b"")},
    )
    assert nothing.status_code == 422
    assert "Импортировать нечего" in nothing.text
    assert (await client.get("/lessons")).text.count('class="card lesson-item"') == 0


async def test_pages_another_teachers_lesson_is_missing(
    people: People, make_client: ClientFactory
) -> None:
    _, owner = await teacher_client(people, make_client)
    lesson = await create_lesson(owner, quiz_lesson())
    client = await _browser(people, make_client)
    base = f"/lessons/{lesson['id']}"
    assert (await client.get(f"{base}/import")).status_code == 404
    assert (await client.get(f"{base}/export.gift")).status_code == 404
    for path in (f"{base}/import/preview", f"{base}/import"):
        response = await client.post(
            path, data={**_token(client), "source": GIFT}, files={"file": ("", b"")}
        )
        assert response.status_code == 404, path
    assert (await ok(await owner.get(f"/api/v1/lessons/{lesson['id']}")))["content"] == lesson[
        "content"
    ]
