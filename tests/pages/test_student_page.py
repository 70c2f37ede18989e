"""A student's page (/students/{id}): profile, progress, assignments, scores over time; names
link to it from the lists; another teacher's student looks missing."""

from __future__ import annotations

from typing import Any

from tests.conftest import People
from tests.lms.helpers import essay_lesson, quiz_lesson
from tests.pages.helpers import api, browser_login

MISSING_ID = 9_000_000_000


def main_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


RIGHT = {"q1": "b", "q2": True}  # 3 of 3 points
HALF = {"q1": "b", "q2": False}  # 2 of 3 points


async def test_the_page_shows_the_students_work_and_scores_over_time(
    people: People, make_client: Any
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher, name="Ann", surname="Lee", birthday="2010-03-04")
    teacher_http, student_http = make_client(), make_client()
    await browser_login(teacher_http, teacher.email)
    await browser_login(student_http, student.email)
    assignment_ids = []
    for body in (
        quiz_lesson(title="First quiz"),
        quiz_lesson(title="Second quiz", attempt_limit=3),
        essay_lesson(title="An essay"),
        quiz_lesson(title="Not started"),
    ):
        lesson = await api(teacher_http, "POST", "/api/v1/lessons", json=body)
        assigned = await api(
            teacher_http,
            "POST",
            "/api/v1/assignments",
            json={"lesson_id": lesson["id"], "student_ids": [student.id]},
        )
        assignment_ids.append(assigned["assignment_ids"][0])
    first, second, essay, _ = assignment_ids
    for assignment_id, answers in (
        (first, HALF),
        (second, RIGHT),
        (essay, {"q1": True, "es": "Words"}),
    ):
        await api(
            student_http,
            "POST",
            f"/api/v1/assignments/{assignment_id}/submit",
            json={"answers": answers},
        )

    page = await teacher_http.get(f"/students/{student.id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Lee Ann" in html and student.email in html and "04.03.2010" in html
    assert f'href="/students/{student.id}/edit"' in html
    for title in ("First quiz", "Second quiz", "An essay", "Not started"):
        assert title in html
    assert "попыток: 1 из 3" in html  # the attempts used, of the lesson's limit
    # Scores over time, oldest first: 2 of 3, then 3 of 3, then the essay still to grade.
    scores = html[html.index('id="scores-heading"') :]
    assert scores.index("2 / 3 (66.7%)") < scores.index("3 / 3 (100.0%)")
    assert scores.index("3 / 3 (100.0%)") < scores.index("ждёт проверки")
    # The sparkline has a text alternative and draws from the graded attempts only.
    assert '<svg role="img" aria-labelledby="spark-title"' in html
    assert "проверенных попыток — 2, от 66.7% до 100.0%" in html
    assert html.count("<polyline") == 1

    # Names open the page: the student list, the dashboard, the grading list.
    for url in ("/students", "/dashboard", "/grading"):
        listed = await teacher_http.get(url)
        assert f'href="/students/{student.id}"' in listed.text, url

    # The neighbouring pages still answer.
    assert (await teacher_http.get(f"/students/{student.id}/edit")).status_code == 200
    assert (await teacher_http.get("/students/new")).status_code == 200


async def test_a_student_without_work_gets_useful_empty_states(
    people: People, make_client: Any
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    http = make_client()
    await browser_login(http, teacher.email)
    html = (await http.get(f"/students/{student.id}")).text
    assert "Уроков пока не назначено." in html
    assert "Пока ничего не сдано" in html
    assert "<svg" not in html


async def test_another_teachers_student_looks_missing(people: People, make_client: Any) -> None:
    teacher, other = await people.teacher(), await people.teacher()
    foreign = await people.student(other, name="Bella", surname="Banana")
    http = make_client()
    await browser_login(http, teacher.email)

    theirs = await http.get(f"/students/{foreign.id}")
    missing = await http.get(f"/students/{MISSING_ID}")
    assert theirs.status_code == missing.status_code == 404
    assert "Banana" not in theirs.text
    assert main_of(theirs.text) == main_of(missing.text)

    # A student cannot open a classmate's (or their own) teacher page.
    student = await people.student(teacher)
    student_http = make_client()
    await browser_login(student_http, student.email)
    assert (await student_http.get(f"/students/{student.id}")).status_code == 403
