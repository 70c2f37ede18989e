"""An essay's word limits: the teacher cannot set a minimum above the maximum, and a student's
essay outside the limits is refused on submit (nothing saved, the message at the essay), the
words counted as the player's counter counts them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.core.errors import InvalidInput
from app.schemas.lms.blocks import EssayBlock, content_adapter, stored_blocks
from app.schemas.lms.blocks.essay import count_words
from app.services.lms.answer_checks import require_submittable, submit_problems
from tests.conftest import People
from tests.lms.helpers import ClientFactory, essay_lesson, ok, student_client, teacher_client
from tests.pages.helpers import answer_fields, api, browser_login, post_form

WORD_COUNT_JS = Path(__file__).resolve().parents[2] / "app" / "static" / "word_count.js"


def _essay(**limits: Any) -> EssayBlock:
    block = content_adapter.validate_python(
        [{"id": "es", "type": "essay", "prompt": "Эссе", **limits}]
    )[0]
    assert isinstance(block, EssayBlock)
    return block


def _limited_lesson(**limits: Any) -> dict[str, Any]:
    lesson = essay_lesson()
    lesson["content"][1].update(limits)
    return lesson


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("   \n\t ", 0),
        ("Летом я ездил к бабушке в деревню.", 7),
        ("Раз — два — три", 3),  # a lone dash is no word
        ("x=1, y=2", 2),
        ("2026 год\u00a0и\u2003всё", 4),  # no-break and em spaces separate words too
        ("ёж-ёжик… «кот»", 2),
    ],
)
def test_words_are_counted_as_a_person_counts_them(text: str, words: int) -> None:
    assert count_words(text) == words


def test_the_player_script_counts_words_the_same_way() -> None:
    script = WORD_COUNT_JS.read_text()
    # Whitespace-separated pieces with a letter or a digit, as `count_words`.
    assert r"text.split(/\s+/)" in script
    assert r"/[\p{L}\p{N}]/u" in script


def test_a_minimum_above_the_maximum_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        _essay(min_words=100, max_words=10)
    assert raised.value.errors()[0]["type"] == "word_limits"
    assert _essay(min_words=10, max_words=10).max_words == 10
    assert _essay(min_words=10).max_words is None


def test_an_answer_outside_the_limits_is_a_problem_and_blank_is_not() -> None:
    block = _essay(min_words=15, max_words=200)
    eight = "раз два три четыре пять шесть семь восемь"
    assert block.answer_problem(eight) is not None
    assert block.answer_problem(eight).context == {"count": 8, "min": 15}  # type: ignore[union-attr]
    assert block.answer_problem(" ".join(["слово"] * 15)) is None
    assert block.answer_problem(" ".join(["слово"] * 201)).context == {  # type: ignore[union-attr]
        "count": 201,
        "max": 200,
    }
    # Blank is unanswered (no points), not a problem; other questions never have one.
    assert submit_problems([block], {"es": "  "}) == {}
    assert submit_problems([block], {}) == {}
    assert set(submit_problems([block], {"es": eight})) == {"es"}
    with pytest.raises(InvalidInput) as raised:
        require_submittable([block], {"es": eight})
    assert raised.value.field == "es"
    assert raised.value.text("ru") == ("Слов в эссе: 8, а нужно не меньше 15: допишите текст")


def test_sample_answers_keep_within_the_limits() -> None:
    for limits in ({"min_words": 50, "max_words": 150}, {"max_words": 3}, {"min_words": 500}):
        block = _essay(**limits)
        for right in (True, False):
            assert block.answer_problem(block.sample_answer(right=right)) is None


async def test_the_api_refuses_a_short_essay_and_saves_nothing(
    people: People, make_client: ClientFactory
) -> None:
    teacher, teacher_http = await teacher_client(people, make_client)
    student, student_http = await student_client(people, make_client, teacher)
    lesson = await ok(
        await teacher_http.post("/api/v1/lessons", json=_limited_lesson(min_words=15)), 201
    )
    assigned = await ok(
        await teacher_http.post(
            "/api/v1/assignments", json={"lesson_id": lesson["id"], "student_ids": [student.id]}
        ),
        201,
    )
    assignment_id = assigned["assignment_ids"][0]
    url = f"/api/v1/assignments/{assignment_id}"
    short = await student_http.post(
        f"{url}/submit", json={"answers": {"q1": True, "es": "Слишком коротко."}}
    )
    assert short.status_code == 422, short.text
    assert short.json()["field"] == "es"
    assert "Слов в эссе: 2" in short.json()["detail"]
    view = await ok(await student_http.get(url))
    assert view["status"] == "assigned" and view["attempts_used"] == 0
    assert view["answers"] == {}
    # The saved answer is checked too: submitting "what is saved" is no way round.
    saved = await student_http.put(f"{url}/progress", json={"answers": {"es": "Коротко."}})
    assert saved.status_code == 200, saved.text
    assert (await student_http.post(f"{url}/submit", json={})).status_code == 422
    long_enough = " ".join(["слово"] * 15)
    done = await student_http.post(f"{url}/submit", json={"answers": {"es": long_enough}})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "submitted"


async def test_the_player_shows_the_refusal_at_the_essay_with_the_text_kept(
    people: People, make_client: ClientFactory
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    teacher_http, student_http = make_client(), make_client()
    await browser_login(teacher_http, teacher.email)
    await browser_login(student_http, student.email)
    lesson = await api(
        teacher_http, "POST", "/api/v1/lessons", json=_limited_lesson(min_words=15, max_words=200)
    )
    assigned = await api(
        teacher_http,
        "POST",
        "/api/v1/assignments",
        json={"lesson_id": lesson["id"], "student_ids": [student.id]},
    )
    assignment_id = assigned["assignment_ids"][0]
    page = await student_http.get(f"/assignments/{assignment_id}")
    assert "word_count.js" in page.text
    assert 'data-word-count="count-es"' in page.text
    eight = "Раз два три четыре пять шесть семь восемь"
    fields = [(n, v) for n, v in answer_fields(page.text) if n == "attempt_no"]
    fields += [("answer.q1", "true"), ("answer.es", eight)]
    refused = await post_form(student_http, f"/assignments/{assignment_id}/submit", fields)
    assert refused.status_code == 422, refused.text[-1500:]
    assert (
        '<p class="error" role="alert" id="error-es">Вопрос 2: '
        "Слов в эссе: 8, а нужно не меньше 15: допишите текст</p>"
    ) in refused.text
    assert f">{eight}</textarea>" in refused.text  # what the student typed is still there
    view = (await student_http.get(f"/api/v1/assignments/{assignment_id}")).json()
    assert view["status"] == "assigned" and view["answers"] == {}


def test_content_saved_before_the_rules_still_loads() -> None:
    """A blank text block or word limits out of order are refused when written, but a lesson
    (or a version students answered) stored before these rules existed still loads."""
    old = [
        {"id": "t", "type": "text", "markdown": "  "},
        {"id": "e", "type": "essay", "prompt": "Write", "min_words": 100, "max_words": 10},
    ]
    assert [block.id for block in stored_blocks(old)] == ["t", "e"]
    with pytest.raises(ValidationError):
        content_adapter.validate_python(old)
