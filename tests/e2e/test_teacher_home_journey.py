"""The teacher's home in the browser: a submitted essay waits on the home page, its link leads to
the review where the teacher grades it; the home page then shows it among the recent
submissions, and the student's name opens the student's page with their scores over time; the
grading filter names the students.

The people, the lesson, the assignments and the submissions are made through the JSON API (the
journey under test starts with the teacher). Every page is checked with axe and at 390 px
(`PageChecks`); elements are found by ids, names and hrefs, never by visible text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CREATE_ADMIN,
    LiveApp,
    PageChecks,
    bearer,
    follow_nav,
    log_in,
    path_of,
)

pytestmark = pytest.mark.e2e

TEACHER = {
    "email": "teacher.home@test.com",
    "password": "Teacher-Home-2024!",
    "surname": "Belova",
    "name": "Marina",
}
STUDENT = {
    "email": "student.home@test.com",
    "password": "Student-Home-2024!",
    "surname": "Sokolov",
    "name": "Konstantin",
    "birthday": "2011-05-06",
}
LATE_STUDENT = {
    "email": "student.late@test.com",
    "password": "Student-Late-2024!",
    "surname": "Morozova",
    "name": "Yekaterina",
}
ESSAY = {
    "title": "Сочинение: мои каникулы",
    "status": "published",
    "content": [
        {"id": "tf", "type": "true_false", "prompt": "Каникулы — это отдых?", "correct": True},
        {"id": "es", "type": "essay", "prompt": "Опишите свои каникулы.", "points": 5},
    ],
}
QUIZ = {
    "title": "Тест: Present Simple",
    "status": "published",
    "content": [
        {"id": "q1", "type": "true_false", "prompt": "He goes — верно?", "correct": True},
        {"id": "q2", "type": "true_false", "prompt": "He go — верно?", "correct": False},
    ],
}


def _post(app: LiveApp, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    response = httpx.post(app.url(path), json=body, headers=headers, timeout=30)
    assert response.status_code in (200, 201), response.text
    return response.json()


def set_up(app: LiveApp) -> dict[str, int]:
    """The teacher, two students; a quiz done well, an essay submitted, work due and overdue."""
    created = app.manage(*CREATE_ADMIN)
    assert created.returncode == 0, created.stdout + created.stderr
    admin = bearer(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    _post(app, "/api/v1/teachers", TEACHER, admin)
    teacher = bearer(app, TEACHER["email"], TEACHER["password"])
    student_id = _post(app, "/api/v1/students", STUDENT, teacher)["id"]
    late_id = _post(app, "/api/v1/students", LATE_STUDENT, teacher)["id"]
    student = bearer(app, STUDENT["email"], STUDENT["password"])
    ids = {"student": student_id, "late_student": late_id}
    for key, lesson, answers in (
        ("quiz", QUIZ, {"q1": True, "q2": False}),
        ("essay", ESSAY, {"tf": True, "es": "Летом я ездил к бабушке в деревню и купался."}),
    ):
        lesson_id = _post(app, "/api/v1/lessons", lesson, teacher)["id"]
        assigned = _post(
            app,
            "/api/v1/assignments",
            {"lesson_id": lesson_id, "student_ids": [student_id]},
            teacher,
        )
        ids[key] = assigned["assignment_ids"][0]
        _post(app, f"/api/v1/assignments/{ids[key]}/submit", {"answers": answers}, student)
    now = datetime.now(UTC)
    for title, due, allow_past in (
        ("Диктант", now + timedelta(days=2), False),
        ("Лексика", now - timedelta(days=1), True),
    ):
        lesson_id = _post(app, "/api/v1/lessons", {**QUIZ, "title": title}, teacher)["id"]
        _post(
            app,
            "/api/v1/assignments",
            {
                "lesson_id": lesson_id,
                "student_ids": [late_id],
                "due_at": due.isoformat(),
                "allow_past": allow_past,
            },
            teacher,
        )
    return ids


def test_teacher_sees_work_to_grade_grades_it_and_opens_the_students_page(
    live_app: LiveApp, page: Page, artifacts_dir: Path
) -> None:
    app = live_app
    ids = set_up(app)
    check = PageChecks(artifacts_dir, "teacher-home")
    review = f"/assignments/{ids['essay']}/review"

    # 1. The home page says what needs doing: the essay waits, work is due and overdue.
    page.goto(app.url("/auth/login"))
    log_in(page, app, TEACHER["email"], TEACHER["password"])
    waiting = page.locator(f'#waiting a[href="{review}"]')
    expect(waiting).to_have_count(1)
    expect(page.locator(f'#due a[href="/students/{ids["late_student"]}"]')).to_have_count(1)
    expect(page.locator(f'#behind a[href="/students/{ids["late_student"]}"]')).to_have_count(1)
    expect(page.locator(f'#recent a[href="/assignments/{ids["quiz"]}/review"]')).to_have_count(1)
    check(page, "dashboard")

    # 2. Its link leads to the review, where the teacher grades the essay.
    waiting.click()
    page.wait_for_url(app.url(review))
    check(page, "review")
    page.locator("#score-es").fill("4")
    page.locator(
        f'main form[action="/assignments/{ids["essay"]}/grade"] button[type=submit]'
    ).click()
    expect(page.locator("main .flash")).to_be_visible()
    assert path_of(page) == review

    # 3. Back home nothing waits; the graded essay is among the recent submissions.
    follow_nav(page, app, "/dashboard")
    expect(page.locator(f'#waiting a[href="{review}"]')).to_have_count(0)
    expect(page.locator("#waiting .empty")).to_be_visible()
    recent_name = page.locator(f'#recent a[href="/students/{ids["student"]}"]').first
    check(page, "dashboard-after-grading")

    # 4. The student's name opens their page: assignments and scores over time.
    recent_name.click()
    page.wait_for_url(app.url(f"/students/{ids['student']}"))
    expect(page.locator(f'main a[href="/students/{ids["student"]}/edit"]')).to_have_count(1)
    expect(page.locator(f'main a[href="{review}"]').first).to_be_visible()
    expect(page.locator("main .sparkline svg[role=img] title")).to_have_count(1)
    expect(page.locator("main table.scores tbody tr")).to_have_count(2)
    check(page, "student-page")

    # 5. The grading filter offers the students by name; choosing one names them.
    page.goto(app.url("/grading"))
    page.locator("#filter-student").select_option(str(ids["student"]))
    page.locator("main form.grading-filter button[type=submit]").click()
    page.wait_for_url(app.url(f"/grading?student_id={ids['student']}"))
    expect(page.locator(f'main .notice a[href="/students/{ids["student"]}"]')).to_have_count(1)
    check(page, "grading-filtered")
