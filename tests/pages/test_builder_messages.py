"""The builder explains itself: each block type's typical mistake is refused with a Russian
message that names the form field as the builder labels it and says what to do; nothing is
saved. The lesson settings form says so at the field, in Russian, too."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from app.api.templating import block_macros
from app.core.cookies import CSRF_COOKIE
from app.core.i18n import translations
from app.schemas.lms.blocks import content_adapter
from tests.conftest import People, login_as

# Pydantic's own English, which must never reach the page.
ENGLISH = re.compile(r"should|Input|String|List|Field required|valid (decimal|integer)")

MISTAKES: list[tuple[dict[str, str], str]] = [
    (
        {"type": "text", "markdown": "   "},
        "Текст (Markdown): Напишите текст блока или удалите блок",
    ),
    (
        {"type": "single_choice", "prompt": "2+2?", "options": "3\n4"},
        "Варианты ответа: Отметьте один верный вариант звёздочкой * в начале его строки",
    ),
    (
        {"type": "single_choice", "prompt": "2+2?", "options": "*3\n*4"},
        "Варианты ответа: Отметьте один верный вариант звёздочкой * в начале его строки",
    ),
    (
        {"type": "single_choice", "prompt": "2+2?", "options": "*4"},
        "Варианты ответа: Напишите хотя бы два варианта, каждый на своей строке",
    ),
    (
        {"type": "multiple_choice", "prompt": "Чётные?", "options": "2\n3\n4"},
        "Варианты ответа: Отметьте каждый верный вариант звёздочкой * в начале его строки",
    ),
    (
        {"type": "short_answer", "prompt": "Столица?", "accepted": "  "},
        "Правильные ответы: Напишите хотя бы один правильный ответ, каждый на своей строке",
    ),
    (
        {"type": "numeric", "prompt": "π?", "value": "три"},
        "Правильное число: Укажите правильное число, например -0,5 или 3,14",
    ),
    (
        {"type": "numeric", "prompt": "π?", "value": "3,14", "tolerance": "-1"},
        "Допустимое отклонение: Укажите допустимое отклонение числом, 0 или больше",
    ),
    (
        {"type": "fill_blanks", "prompt": "Вставьте", "text": "Я иду в школу"},
        "Текст с пропусками: Добавьте хотя бы один пропуск",
    ),
    (
        {"type": "fill_blanks", "prompt": "Вставьте", "text": "Я [[иду]] в [[ | ]]"},
        "Текст с пропусками: Пропуск 2 пуст",
    ),
    (
        {"type": "matching", "prompt": "Соедините", "pairs": "кот -> cat\n\nдом = house"},
        "Пары: В строке 3 нет стрелки: запишите пару как левое -> правое",
    ),
    (
        {"type": "matching", "prompt": "Соедините", "pairs": "кот -> cat\ndom ->  "},
        "Пары: В строке 2 нужен текст по обе стороны от ->",
    ),
    (
        {"type": "matching", "prompt": "Соедините", "pairs": "кот -> cat"},
        "Пары: Напишите хотя бы две пары",
    ),
    (
        {"type": "ordering", "prompt": "По порядку", "items": "один"},
        "Элементы в правильном порядке: Напишите хотя бы два элемента",
    ),
    (
        {"type": "essay", "prompt": "Эссе", "min_words": "100", "max_words": "10"},
        "Минимум слов (100) больше максимума (10)",
    ),
    (
        {"type": "essay", "prompt": "Эссе", "min_words": "много"},
        "Минимум слов: Укажите целое число слов от 0 до 10000",
    ),
    (
        {"type": "essay", "prompt": "Эссе", "points": "0"},
        "Баллы: Укажите баллы числом больше 0 и не больше 1000",
    ),
    (
        {"type": "image", "url": "https://example.com/a.png", "alt": " "},
        "Описание изображения для экранного диктора: Опишите изображение",
    ),
    (
        {"type": "image", "url": "http://example.com/a.png", "alt": "Кот"},
        "Укажите ссылку, которая начинается с https://",
    ),
    (
        {"type": "video", "url": "https://example.com/video"},
        "Ссылка на видео должна вести на YouTube, VK Видео или Rutube",
    ),
    ({"type": "file"}, "Укажите ссылку или загрузите файл"),
]


async def _post(client: httpx.AsyncClient, url: str, data: dict[str, Any]) -> httpx.Response:
    return await client.post(url, data={**data, "csrf_token": client.cookies[CSRF_COOKIE]})


async def _lesson(client: httpx.AsyncClient) -> tuple[int, int]:
    created = await client.post("/api/v1/lessons", json={"title": "Урок", "status": "draft"})
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["version"]


def _alerts(page: str) -> list[str]:
    """The texts of the builder's alert boxes (a div role=alert around a list: axe's
    `listitem` rule wants the list items inside a plain list)."""
    boxes = re.findall(r'<div class="error" role="alert"><ul>(.*?)</ul></div>', page, re.S)
    return [html.unescape(item) for box in boxes for item in re.findall(r"<li>(.*?)</li>", box)]


@pytest.mark.parametrize(("form", "expected"), MISTAKES, ids=lambda v: str(v)[:40])
async def test_a_mistake_in_a_block_is_told_in_russian_with_what_to_do(
    client: httpx.AsyncClient, people: People, form: dict[str, str], expected: str
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson_id, version = await _lesson(client)
    response = await _post(client, f"/lessons/{lesson_id}/blocks", {"points": "1", **form})
    assert response.status_code == 422, response.text[-1500:]
    messages = _alerts(response.text)
    assert any(expected in message for message in messages), messages
    assert not any(ENGLISH.search(message) for message in messages), messages
    assert '<ul class="error"' not in response.text
    # The typed form is shown again and nothing was saved.
    lesson = (await client.get(f"/api/v1/lessons/{lesson_id}")).json()
    assert lesson["content"] == [] and lesson["version"] == version


async def test_an_edited_block_keeps_its_message_and_the_english_page_speaks_english(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson_id, _ = await _lesson(client)
    saved = await _post(
        client,
        f"/lessons/{lesson_id}/blocks",
        {"type": "single_choice", "prompt": "2+2?", "options": "3\n*4"},
    )
    assert saved.status_code == 303, saved.text[-1500:]
    block_id = (await client.get(f"/api/v1/lessons/{lesson_id}")).json()["content"][0]["id"]
    bad = {"type": "single_choice", "prompt": "2+2?", "options": "3\n4"}
    response = await _post(client, f"/lessons/{lesson_id}/blocks/{block_id}", bad)
    assert response.status_code == 422
    assert _alerts(response.text) == [
        "Варианты ответа: Отметьте один верный вариант звёздочкой * в начале его строки"
    ]
    await _post(client, "/language", {"language": "en"})
    response = await _post(client, f"/lessons/{lesson_id}/blocks/{block_id}", bad)
    assert _alerts(response.text) == [
        "Options: Mark the one correct option with * at the start of its line"
    ]


async def test_lesson_settings_are_refused_at_the_field_in_russian(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson_id, _ = await _lesson(client)
    response = await _post(
        client,
        f"/lessons/{lesson_id}/settings",
        {"title": "Новое имя", "status": "draft", "attempt_limit": "0", "time_limit_minutes": "x"},
    )
    assert response.status_code == 422, response.text[-1500:]
    page = response.text
    assert 'id="error-attempt_limit">Должно быть не меньше 1<' in page
    assert 'id="error-time_limit_minutes">Введите целое число<' in page
    assert '<details class="card" open>' in page
    assert 'value="Новое имя"' in page  # what was typed stays in the form
    assert not ENGLISH.search(" ".join(re.findall(r'class="error"[^>]*>([^<]*)<', page)))
    lesson = (await client.get(f"/api/v1/lessons/{lesson_id}")).json()
    assert lesson["title"] == "Урок" and lesson["attempt_limit"] is None
    fixed = await _post(
        client,
        f"/lessons/{lesson_id}/settings",
        {"title": "Новое имя", "status": "draft", "attempt_limit": "2"},
    )
    assert fixed.status_code == 303
    assert (await client.get(f"/api/v1/lessons/{lesson_id}")).json()["attempt_limit"] == 2


async def test_numbers_show_as_the_teacher_typed_them(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    lesson_id, _ = await _lesson(client)
    form = {"type": "numeric", "prompt": "x?", "value": "-0,5", "tolerance": "0,01"}
    assert (await _post(client, f"/lessons/{lesson_id}/blocks", form)).status_code == 303
    # An old block, saved before the typed text was kept, through the API.
    old = {"id": "old", "type": "numeric", "prompt": "y?", "value": "2.75"}
    content = (await client.get(f"/api/v1/lessons/{lesson_id}")).json()["content"]
    updated = await client.patch(f"/api/v1/lessons/{lesson_id}", json={"content": [*content, old]})
    assert updated.status_code == 200, updated.text
    assert updated.json()["content"][0]["value_text"] == "-0,5"
    assert updated.json()["content"][1].get("value_text") is None
    page = (await client.get(f"/lessons/{lesson_id}/edit")).text
    assert 'name="value" type="text" value="-0,5"' in page
    assert 'name="tolerance" type="text" value="0,01"' in page
    assert 'name="value" type="text" value="2,75"' in page


def test_the_correct_number_is_shown_as_typed_wherever_the_key_is_shown() -> None:
    typed, old = content_adapter.validate_python(
        [
            {"id": "a", "type": "numeric", "prompt": "?", "value": "-0.5", "value_text": "-0,5"},
            {"id": "b", "type": "numeric", "prompt": "?", "value": "2.75", "tolerance": "0.05"},
        ]
    )
    key = block_macros("numeric").key  # type: ignore[attr-defined]
    russian, english = translations("ru").gettext, translations("en").gettext
    # The teacher's review shows the block; a student's revealed key is its JSON.
    for shown in (typed, typed.model_dump(mode="json")):
        assert "<p>-0,5</p>" in str(key(shown, russian))
        assert "<p>-0,5</p>" in str(key(shown, english))
    for shown in (old, old.model_dump(mode="json")):
        assert "<p>2,75 ± 0,05</p>" in str(key(shown, russian))
        assert "<p>2.75 ± 0.05</p>" in str(key(shown, english))


def test_a_typed_number_must_be_the_stored_one() -> None:
    with pytest.raises(ValidationError):
        content_adapter.validate_python(
            [{"id": "a", "type": "numeric", "prompt": "?", "value": "1", "value_text": "2"}]
        )
