"""The teacher's grading pages, driven as a browser: the list, the review, grading an essay."""

from __future__ import annotations

from typing import Any

import httpx

from app.core.i18n import gettext_for
from tests.conftest import People
from tests.lms.helpers import essay_lesson, full_lesson
from tests.pages.helpers import (
    api,
    browser_login,
    controls,
    every_answer,
    lesson_for_student,
    post_form,
)

ESSAY = "Yesterday I <b>walked</b> to school."


async def submitted_essay(
    people: People, make_client: Any, lesson: dict[str, Any] | None = None
) -> tuple[httpx.AsyncClient, httpx.AsyncClient, int]:
    teacher, student, assignment_id = await lesson_for_student(
        people, make_client, lesson or essay_lesson()
    )
    submitted = await post_form(
        student,
        f"/assignments/{assignment_id}/submit",
        [("attempt_no", "1"), ("answer.q1", "true"), ("answer.es", ESSAY)],
    )
    assert submitted.status_code == 303
    return teacher, student, assignment_id


def score_input(html: str, block_id: str) -> str:
    return next(c.value for c in controls(html) if c.name == f"score.{block_id}")


async def test_the_list_shows_what_waits_for_a_grade(people: People, make_client: Any) -> None:
    teacher, _, assignment_id = await submitted_essay(people, make_client)
    page = await teacher.get("/grading")
    assert page.status_code == 200, page.text
    assert "Student Sam" in page.text
    assert "Essay" in page.text
    assert f'href="/assignments/{assignment_id}/review"' in page.text
    assert 'href="/grading"' in page.text  # the navigation link

    view = await api(teacher, "GET", f"/api/v1/assignments/{assignment_id}")
    filtered = await teacher.get(f"/grading?student_id={view['student_id']}")
    assert f"/assignments/{assignment_id}/review" in filtered.text
    other = await teacher.get(f"/grading?student_id={view['student_id'] + 1000}")
    assert f"/assignments/{assignment_id}/review" not in other.text


async def test_the_teacher_grades_an_essay_and_the_student_sees_the_feedback(
    people: People, make_client: Any
) -> None:
    teacher, student, assignment_id = await submitted_essay(people, make_client)
    review_url = f"/assignments/{assignment_id}/review"
    review = await teacher.get(review_url)
    assert review.status_code == 200, review.text
    assert "Yesterday I &lt;b&gt;walked&lt;/b&gt; to school." in review.text  # escaped, readable
    assert score_input(review.text, "es") == ""  # pending: the teacher decides
    assert score_input(review.text, "q1") == "1"

    graded = await post_form(
        teacher,
        f"/assignments/{assignment_id}/grade",
        [
            ("score.q1", "1"),
            ("score.es", "4,5"),
            ("feedback", "Well done, mind the articles"),
            ("show_correct_answers", "on"),
        ],
    )
    assert graded.status_code == 303, graded.text
    assert graded.headers["location"] == review_url

    view = await api(teacher, "GET", f"/api/v1/assignments/{assignment_id}")
    assert view["status"] == "graded"
    assert view["score"] == "5.50"
    results = {result["block_id"]: result for result in view["results"]}
    assert results["es"]["points"] == "4.50"
    assert results["es"]["overridden_at"] is not None
    assert results["q1"]["overridden_at"] is None  # untouched: not sent as an override
    assert view["show_correct_answers"] is True

    review = await teacher.get(review_url)
    assert gettext_for("ru", "Grade saved") in review.text
    assert score_input(review.text, "es") == "4.5"
    assert "Tina" in review.text  # who changed the points

    page = await student.get(f"/assignments/{assignment_id}")
    assert page.status_code == 200
    assert "Well done, mind the articles" in page.text
    assert "answer-key" in page.text  # revealed by the teacher


async def test_bad_points_show_the_form_again_and_change_nothing(
    people: People, make_client: Any
) -> None:
    teacher, _, assignment_id = await submitted_essay(people, make_client)
    for value in ("7", "-1", "abc"):
        response = await post_form(
            teacher,
            f"/assignments/{assignment_id}/grade",
            [("score.es", value), ("feedback", "Kept")],
        )
        assert response.status_code == 422, value
        assert 'aria-invalid="true"' in response.text
        assert gettext_for("ru", "Enter a number from 0 to {max}").format(max="5") in response.text
        assert score_input(response.text, "es") == value  # what was typed stays
        assert ">Kept</textarea>" in response.text
    view = await api(teacher, "GET", f"/api/v1/assignments/{assignment_id}")
    assert view["status"] == "submitted"
    assert view["feedback"] is None


async def test_the_review_shows_every_answer_in_words(people: People, make_client: Any) -> None:
    teacher, student, assignment_id = await lesson_for_student(people, make_client, full_lesson())
    review = await teacher.get(f"/assignments/{assignment_id}/review")
    assert review.status_code == 200
    assert f'action="/assignments/{assignment_id}/grade"' not in review.text  # not submitted yet

    html = (await student.get(f"/assignments/{assignment_id}")).text
    await post_form(student, f"/assignments/{assignment_id}/submit", every_answer(html))
    review = await teacher.get(f"/assignments/{assignment_id}/review")
    text = review.text
    assert f'action="/assignments/{assignment_id}/grade"' in text
    assert "<p>four</p>" in text  # single choice: the option's text, not its id
    assert "<li>two</li><li>five</li>" in text
    assert f"<p>{gettext_for('ru', 'False')}</p>" in text
    assert "<p>Paris</p>" in text and "<p>3,5</p>" in text
    assert "cat → кошка" in text
    assert "<ol><li>fourth</li><li>third</li><li>second</li><li>first</li></ol>" in text
    assert "I <mark>am</mark> a <mark>…</mark>." in text
    assert "My day" in text
    # The teacher sees the keys and explanations to grade by.
    assert "KEY-EXPLANATION-SC" in text and "KEY-GAP" in text
    # One points box per question, bounded by its points.
    boxes = [c for c in controls(text) if c.name.startswith("score.")]
    assert len(boxes) == 9


async def test_strangers_cannot_grade(people: People, make_client: Any) -> None:
    _, student, assignment_id = await submitted_essay(people, make_client)
    other_teacher = await people.teacher()
    other = make_client()
    await browser_login(other, other_teacher.email)
    assert (await other.get(f"/assignments/{assignment_id}/review")).status_code == 404
    refused = await post_form(other, f"/assignments/{assignment_id}/grade", [("score.es", "5")])
    assert refused.status_code == 404
    assert (await student.get("/grading")).status_code == 403
    assert (await student.get(f"/assignments/{assignment_id}/review")).status_code == 403


async def test_an_essay_left_without_points_is_named_and_nothing_is_saved(
    people: People, make_client: Any
) -> None:
    """Saving with the essay's points blank said "Grade saved" while the submission stayed
    waiting for a grade: the form now says which answer needs its points."""
    teacher, _, assignment_id = await submitted_essay(people, make_client)
    response = await post_form(
        teacher, f"/assignments/{assignment_id}/grade", [("score.q1", "1"), ("feedback", "Kept")]
    )
    assert response.status_code == 422, response.text
    assert gettext_for("ru", "Grade saved") not in response.text
    needed = gettext_for("ru", "Give this answer its points: a number from 0 to {max}")
    assert needed.format(max="5") in response.text
    assert 'aria-invalid="true"' in response.text
    assert ">Kept</textarea>" in response.text
    view = await api(teacher, "GET", f"/api/v1/assignments/{assignment_id}")
    assert (view["status"], view["feedback"]) == ("submitted", None)
