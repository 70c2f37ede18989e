"""Phones (390 px): nothing scrolls sideways and no word breaks inside on the pages a teacher and
a student use every day, with the data that used to break them (a long group name, a long
e-mail, Russian words in table cells, dates).

`assert_fits` (tests/e2e/conftest.py, run by `PageChecks` on every page of every journey) is
proved to fail on a page that breaks a word, and to let pass what may break (a 40-character
e-mail) and what does not break.
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
    PHONE,
    LiveApp,
    PageChecks,
    assert_fits,
    bearer,
    log_in,
    log_out,
)

pytestmark = pytest.mark.e2e

TEACHER = {
    "email": "teacher.phone@test.com",
    "password": "Teacher-Pass-2024!",
    "surname": "Константинопольская",
    "name": "Александра",
    "second_name": "Владимировна",
    "birthday": "1984-03-12",
    "language": "ru",
}
# The first student's e-mail is longer than any line of a phone: it may break, but only it.
LONG_EMAIL = "konstantin.konstantinopolsky.2011@school-gymnasium.ru"
STUDENTS = (
    {
        "email": LONG_EMAIL,
        "password": "Student-One-2024!",
        "surname": "Константинопольский",
        "name": "Константин",
        "second_name": "Александрович",
        "birthday": "2011-02-03",
        "language": "ru",
    },
    {
        "email": "anastasia.kuznetsova@mail.ru",  # 28 characters: must not break
        "password": "Student-Two-2024!",
        "surname": "Кузнецова",
        "name": "Анастасия",
        "birthday": "2010-11-30",
        "language": "ru",
    },
)
GROUP_NAME = "Подготовка к ОГЭ по математике: вечерняя группа выходного дня"
LESSON = {
    "title": "Квадратные уравнения: дискриминант и теорема Виета",
    "status": "published",
    "content": [
        {"id": "q1", "type": "true_false", "prompt": "D < 0: корней нет?", "correct": True},
        {"id": "es", "type": "essay", "prompt": "Объясните решение", "points": 5},
    ],
}
ESSAY = "Сначала находим дискриминант, затем корни по формуле."

# --- the check itself, on pages made for it


# A table cell too narrow for its word, broken the way `overflow-wrap: anywhere` does it.
BROKEN_CELL = """<!doctype html><html lang="ru"><head><meta name="viewport"
content="width=device-width, initial-scale=1"></head><body><main><table><tr>
<td style="width: 3rem; max-width: 3rem; overflow-wrap: anywhere">Изменить</td>
<td>{second}</td></tr></table></main></body></html>"""


def test_a_word_broken_inside_fails_the_phone_check(page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.set_content(BROKEN_CELL.format(second="ok"))
    with pytest.raises(AssertionError, match="Изменить"):
        assert_fits(page, "broken-cell", PHONE["width"])


def test_words_on_their_own_lines_and_long_addresses_pass_the_phone_check(page: Page) -> None:
    page.set_viewport_size(PHONE)
    # Words wrap between each other; a hyphen is a proper place to break; a 50-character
    # address may break anywhere (no line of a phone holds it).
    words = " ".join(["Проверить"] * 40) + " Петропавловск-Камчатский"
    page.set_content(
        "<!doctype html><html lang='ru'><body><main>"
        f"<p style='width: 8rem'>{words}</p>"
        f"<p style='width: 8rem; overflow-wrap: anywhere'>{LONG_EMAIL}</p>"
        "</main></body></html>"
    )
    assert_fits(page, "wrapping", PHONE["width"])
    # The same 28-character address, broken, is reported.
    page.set_content(
        "<!doctype html><html><body><main>"
        "<p style='width: 8rem; overflow-wrap: anywhere'>anastasia.kuznetsova@mail.ru</p>"
        "</main></body></html>"
    )
    with pytest.raises(AssertionError, match="anastasia"):
        assert_fits(page, "broken-address", PHONE["width"])


def test_a_page_wider_than_the_phone_fails_the_phone_check(page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.set_content("<!doctype html><html><body><main><div style='width: 457px'>x</div></main>")
    with pytest.raises(AssertionError, match="px wide on a 390px screen"):
        assert_fits(page, "wide", PHONE["width"])


# --- set-up through the JSON API


def _call(app: LiveApp, method: str, path: str, headers: dict[str, str], body: Any) -> Any:
    response = httpx.request(method, app.url(path), json=body, headers=headers, timeout=30)
    assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
    return response.json()


def set_up_classroom(app: LiveApp) -> dict[str, Any]:
    """A teacher with two students in a group, a lesson given to both with a due date; the first
    student submitted it (waiting for a grade), the second one's was graded."""
    created = app.manage(*CREATE_ADMIN)
    assert created.returncode == 0, created.stdout + created.stderr
    admin = bearer(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    _call(app, "POST", "/api/v1/teachers", admin, TEACHER)
    teacher = bearer(app, TEACHER["email"], TEACHER["password"])
    student_ids = [
        int(_call(app, "POST", "/api/v1/students", teacher, student)["id"]) for student in STUDENTS
    ]
    members = {"name": GROUP_NAME, "student_ids": [student_ids[0]]}
    group = _call(app, "POST", "/api/v1/groups", teacher, members)
    lesson = _call(app, "POST", "/api/v1/lessons", teacher, LESSON)
    due = (datetime.now(UTC) + timedelta(days=5)).replace(hour=15, minute=0, second=0)
    assigned = _call(
        app,
        "POST",
        "/api/v1/assignments",
        teacher,
        {"lesson_id": lesson["id"], "student_ids": student_ids, "due_at": due.isoformat()},
    )
    assignment_ids = assigned["assignment_ids"]
    for index, student in enumerate(STUDENTS):
        headers = bearer(app, student["email"], student["password"])
        answers = {"q1": True, "es": ESSAY}
        _call(
            app,
            "POST",
            f"/api/v1/assignments/{assignment_ids[index]}/submit",
            headers,
            {"answers": answers},
        )
    _call(
        app,
        "POST",
        f"/api/v1/assignments/{assignment_ids[1]}/grade",
        teacher,
        {"scores": {"es": 4}, "feedback": "Хорошо"},
    )
    return {"student_ids": student_ids, "group_id": group["id"], "lesson_id": lesson["id"]}


def test_teacher_and_student_pages_fit_a_phone(
    live_app: LiveApp, page: Page, artifacts_dir: Path
) -> None:
    app = live_app
    check = PageChecks(artifacts_dir, "phone")
    classroom = set_up_classroom(app)
    lesson_id, group_id = classroom["lesson_id"], classroom["group_id"]

    page.goto(app.url("/auth/login"))
    check(page, "login")
    log_in(page, app, TEACHER["email"], TEACHER["password"])
    check(page, "dashboard-teacher")
    for name, path in (
        ("students", "/students"),
        ("student-edit", f"/students/{classroom['student_ids'][0]}/edit"),
        ("grading", "/grading"),
        ("assign", f"/lessons/{lesson_id}/assign"),
        ("groups", "/groups"),
        ("group", f"/groups/{group_id}"),
        ("library", "/lessons"),
        ("account", "/account"),
        ("audit", "/audit"),
    ):
        page.goto(app.url(path))
        check(page, name)

    # On a desktop the menu is open and its button hidden; on a phone the header is one row:
    # the site's name and a menu button that opens the rest (no JS: a <details>).
    page.goto(app.url("/students"))
    header = page.locator("header.site-header")
    nav_link = page.locator('header nav a[href="/grading"]')
    expect(nav_link).to_be_visible()
    expect(page.locator("header .site-menu > summary")).to_be_hidden()
    page.set_viewport_size(PHONE)
    expect(nav_link).to_be_hidden()
    height = header.bounding_box()
    assert height is not None and height["height"] <= 64, height
    page.locator("header .site-menu > summary").click()
    expect(nav_link).to_be_visible()
    assert_fits(page, "students-menu-open", PHONE["width"])
    page.screenshot(path=artifacts_dir / "phone-students-menu-open.png")
    nav_link.click()
    page.wait_for_url(app.url("/grading"))
    page.set_viewport_size({"width": 1280, "height": 800})
    log_out(page, app)

    # The student with the long e-mail: their dashboard and the lesson they submitted.
    log_in(page, app, STUDENTS[0]["email"], STUDENTS[0]["password"])
    expect(page.locator("main")).to_contain_text(LONG_EMAIL)
    check(page, "dashboard-student")
