"""The library and due dates, in the browser: a teacher makes nested folders and sees them as a
tree, a second folder of one name is refused at the field, the parent folder lists the
subfolder's lesson, deleting a folder asks first (dismissed: it stays; accepted: it goes); on the
assign page a past due date is a warning to confirm, the due date changes for one student and for
everyone, and a student is unassigned after a confirmation.

Set-up (the administrator, the teacher, two students, a lesson) goes through the CLI and the JSON
API; the journey under test is the teacher's. Every new page is checked with axe and at 390 px
(`PageChecks`). Elements are found by ids, names and hrefs, never by visible text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CREATE_ADMIN,
    LiveApp,
    PageChecks,
    follow_nav,
    log_in,
    path_of,
)

pytestmark = pytest.mark.e2e

ZONE = "Europe/Moscow"
TEACHER = {
    "email": "teacher.library@test.com",
    "password": "Teacher-Library-2024!",
    "surname": "Smirnova",
    "name": "Olga",
    "timezone": ZONE,
}
STUDENTS = (
    {
        "email": "library.one@test.com",
        "password": "Library-One-2024!",
        "surname": "Petrov",
        "name": "Ivan",
    },
    {
        "email": "library.two@test.com",
        "password": "Library-Two-2024!",
        "surname": "Sidorova",
        "name": "Maria",
    },
)
QUIZ = [
    {
        "id": "q1",
        "type": "single_choice",
        "prompt": "2 + 2?",
        "options": [{"id": "a", "text": "3"}, {"id": "b", "text": "4"}],
        "correct": "b",
    }
]


class Api:
    """The teacher's JSON API, for set-up and for reading back what the pages did."""

    def __init__(self, app: LiveApp, email: str, password: str) -> None:
        self.app = app
        response = httpx.post(
            app.url("/api/v1/auth/login"), json={"email": email, "password": password}, timeout=30
        )
        assert response.status_code == 200, response.text
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(
            method, self.app.url(path), headers=self.headers, timeout=30, **kwargs
        )
        assert response.status_code < 300, response.text
        return response.json() if response.content else None


def set_up(app: LiveApp) -> tuple[Api, list[int]]:
    created = app.manage(*CREATE_ADMIN)
    assert created.returncode == 0, created.stdout + created.stderr
    admin = Api(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    admin.call("POST", "/api/v1/teachers", json=TEACHER)
    teacher = Api(app, TEACHER["email"], TEACHER["password"])
    ids = [int(teacher.call("POST", "/api/v1/students", json=s)["id"]) for s in STUDENTS]
    return teacher, ids


def folder_ids(api: Api) -> dict[str, int]:
    return {item["name"]: item["id"] for item in api.call("GET", "/api/v1/folders")}


def wall(moment: datetime) -> str:
    """`moment` as the teacher's `datetime-local` input holds it."""
    return moment.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


def due_by_student(api: Api, lesson_id: int) -> dict[int, str | None]:
    page = api.call("GET", f"/api/v1/assignments?lesson_id={lesson_id}")
    return {
        item["student_id"]: (
            wall(datetime.fromisoformat(item["due_at"])) if item["due_at"] else None
        )
        for item in page["items"]
    }


def create_folder(page: Page, name: str, parent_id: int | None = None) -> None:
    page.locator("#folder-name").fill(name)
    page.locator("#folder-parent").select_option(str(parent_id) if parent_id else "")
    with page.expect_navigation():
        page.locator('form[action="/folders"] button[type=submit]').click()


def folder_link(page: Page, folder_id: int) -> Any:
    return page.locator(f'.folder-tree a[href="/lessons?folder_id={folder_id}"]')


def test_folders_tree_and_due_dates(live_app: LiveApp, page: Page, artifacts_dir: Path) -> None:
    app = live_app
    check = PageChecks(artifacts_dir, "library")
    api, (ivan, maria) = set_up(app)

    # 1. Nested folders, made through the library's form.
    page.goto(app.url("/auth/login"))
    log_in(page, app, TEACHER["email"], TEACHER["password"])
    follow_nav(page, app, "/lessons")
    create_folder(page, "Математика")
    maths = folder_ids(api)["Математика"]
    create_folder(page, "7 класс", maths)
    grade7 = folder_ids(api)["7 класс"]
    create_folder(page, "Дроби", grade7)
    fractions = folder_ids(api)["Дроби"]
    create_folder(page, "Пустая")
    empty = folder_ids(api)["Пустая"]

    # The tree: Дроби in a list inside 7 класс's item, inside Математика's item.
    maths_item = page.locator(
        f'.folder-tree > li:has(> .folder-row a[href="/lessons?folder_id={maths}"])'
    )
    expect(
        maths_item.locator(f'.folder-children a[href="/lessons?folder_id={grade7}"]')
    ).to_be_visible()
    grade7_item = maths_item.locator(
        f'.folder-children > li:has(> .folder-row a[href="/lessons?folder_id={grade7}"])'
    )
    expect(
        grade7_item.locator(f'.folder-children a[href="/lessons?folder_id={fractions}"]')
    ).to_be_visible()
    check(page, "tree")

    # 2. The same name at the same level, in another case: refused at the field, nothing made.
    page.locator("#folder-name").fill("  математика ")
    page.locator("#folder-parent").select_option("")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator('form[action="/folders"] button[type=submit]').click()
    assert answer.value.status == 409
    expect(page.locator("#folder-name-error")).to_be_visible()
    expect(page.locator("#folder-name")).to_have_attribute("aria-invalid", "true")
    assert len(folder_ids(api)) == 4
    check(page, "duplicate-refused")

    # 3. The parent folder shows the subfolder's lesson.
    lesson = api.call(
        "POST",
        "/api/v1/lessons",
        json={
            "title": "Сложение дробей",
            "status": "published",
            "folder_id": fractions,
            "tags": ["ОГЭ"],
            "content": QUIZ,
        },
    )
    lesson_id = int(lesson["id"])
    page.goto(app.url("/lessons"))
    with page.expect_navigation():
        folder_link(page, maths).click()
    assert path_of(page) == "/lessons"
    expect(page.locator(f'main a[href="/lessons/{lesson_id}/edit"]').first).to_be_visible()
    expect(folder_link(page, maths)).to_have_attribute("aria-current", "page")
    check(page, "parent-folder")

    # 4. Deleting a folder asks first: dismissed, it stays; accepted, it goes.
    page.goto(app.url("/lessons"))
    delete_empty = page.locator(f'form[action="/folders/{empty}/delete"] button[type=submit]')
    messages: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    delete_empty.click()
    page.wait_for_timeout(300)
    assert messages and "Пустая" in messages[0]
    expect(folder_link(page, empty)).to_have_count(1)
    assert "Пустая" in folder_ids(api)

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        delete_empty.click()
    expect(folder_link(page, empty)).to_have_count(0)
    assert "Пустая" not in folder_ids(api)

    # 5. The assign page: a past due date is a warning to confirm.
    page.goto(app.url(f"/lessons/{lesson_id}/assign"))
    page.locator(f"#assign-student-{ivan}").check()
    page.locator(f"#assign-student-{maria}").check()
    yesterday = wall(datetime.now(UTC) - timedelta(days=1))
    page.locator("#field-due_at").fill(yesterday)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator(f'form[action="/lessons/{lesson_id}/assign"] button[type=submit]').click()
    assert answer.value.status == 422
    expect(page.locator("#due_at-error.warning")).to_be_visible()
    expect(page.locator(f"#assign-student-{ivan}")).to_be_checked()
    assert due_by_student(api, lesson_id) == {}
    check(page, "assign-past-warning")
    page.locator("#assign-allow_past").check()
    with page.expect_navigation():
        page.locator(f'form[action="/lessons/{lesson_id}/assign"] button[type=submit]').click()
    expect(page.locator("main .flash")).to_be_visible()
    assert due_by_student(api, lesson_id) == {ivan: yesterday, maria: yesterday}

    # 6. The due date changes for one student, then for everyone.
    assignments = api.call("GET", f"/api/v1/assignments?lesson_id={lesson_id}")["items"]
    by_student = {item["student_id"]: item["id"] for item in assignments}
    for_ivan = wall(datetime.now(UTC) + timedelta(days=3))
    page.locator("#field-target").select_option(str(by_student[ivan]))
    page.locator("#field-change_due_at").fill(for_ivan)
    with page.expect_navigation():
        page.locator(f'form[action="/lessons/{lesson_id}/assign/due-date"] button').click()
    assert due_by_student(api, lesson_id) == {ivan: for_ivan, maria: yesterday}
    check(page, "assign-changed")

    for_all = wall(datetime.now(UTC) + timedelta(days=7))
    page.locator("#field-target").select_option("all")
    page.locator("#field-change_due_at").fill(for_all)
    with page.expect_navigation():
        page.locator(f'form[action="/lessons/{lesson_id}/assign/due-date"] button').click()
    assert due_by_student(api, lesson_id) == {ivan: for_all, maria: for_all}

    # 7. Unassigning asks first, then takes the lesson back from that student only.
    unassign = page.locator(
        f'form[action="/lessons/{lesson_id}/assign/{by_student[maria]}/unassign"] button'
    )
    page.once("dialog", lambda dialog: dialog.dismiss())
    unassign.click()
    page.wait_for_timeout(300)
    assert set(due_by_student(api, lesson_id)) == {ivan, maria}
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        unassign.click()
    assert due_by_student(api, lesson_id) == {ivan: for_all}
    expect(unassign).to_have_count(0)
    check(page, "assign-unassigned")
