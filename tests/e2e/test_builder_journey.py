"""The lesson builder explains itself, in the browser: a teacher builds a lesson of several blocks
and sees each one as a student will (a YouTube link plays in a frame); editors open with their
"Edit" buttons; unsaved edits are never lost silently (leaving the page, or saving another block,
asks first); deleting a block asks first; the version shown stays 1 until the lesson is assigned.
Every new page is checked with axe and at 390 px. Elements are found by ids, names and hrefs.

The YouTube player is answered by a local stand-in (no network in tests): the frame's address
is what is under test, not Google's page.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Dialog, Page, Route, expect

from tests.e2e.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CREATE_ADMIN,
    LiveApp,
    PageChecks,
    bearer,
    log_in,
)

pytestmark = pytest.mark.e2e

TEACHER = {
    "email": "teacher.builder@test.com",
    "password": "Teacher-Pass-2024!",
    "surname": "Smirnova",
    "name": "Vera",
}
STUDENT = {
    "email": "student.builder@test.com",
    "password": "Student-Pass-2024!",
    "surname": "Popov",
    "name": "Artem",
}
TITLE = "Времена глаголов"
VIDEO_ID = "dQw4w9WgXcQ"
PLAYER = f"https://www.youtube-nocookie.com/embed/{VIDEO_ID}"
STAND_IN = (
    '<!doctype html><html lang="en"><head><title>Player</title></head>'
    "<body><p>Video player</p></body></html>"
)


def create_people(app: LiveApp) -> tuple[dict[str, str], int]:
    """The admin (the seed's CLI line), the teacher and one student: the teacher's API headers
    and the student's id."""
    created = app.manage(*CREATE_ADMIN)
    assert created.returncode == 0, created.stdout + created.stderr
    admin = bearer(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    response = httpx.post(app.url("/api/v1/teachers"), json=TEACHER, headers=admin, timeout=30)
    assert response.status_code == 201, response.text
    teacher = bearer(app, TEACHER["email"], TEACHER["password"])
    response = httpx.post(app.url("/api/v1/students"), json=STUDENT, headers=teacher, timeout=30)
    assert response.status_code == 201, response.text
    return teacher, int(response.json()["id"])


def add_block(page: Page, kind: str, fields: dict[str, str]) -> str:
    """Add a block through the "add a block" select and the new block's form; its id."""
    page.locator("#add-type").select_option(kind)
    page.locator("main form.add-block button[type=submit]").click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("add") == [kind])
    new_block = page.locator("#block-new")
    for name, value in fields.items():
        new_block.locator(f"#new-{name}").fill(value)
    new_block.locator("form.block-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"#block-(?!new)[A-Za-z0-9_-]+$"))
    expect(page.locator("main .flash")).to_be_visible()
    return urlsplit(page.url).fragment.removeprefix("block-")


class Dialogs:
    """Every dialog the page opens, answered as told (`accept`), recorded by type."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        self.accept = False
        page.on("dialog", self._answer)

    def _answer(self, dialog: Dialog) -> None:
        self.seen.append(dialog.type)
        if self.accept:
            dialog.accept()
        else:
            dialog.dismiss()

    def take(self) -> list[str]:
        seen, self.seen = self.seen, []
        return seen


def test_teacher_builds_sees_blocks_as_students_do_and_never_loses_an_edit(
    live_app: LiveApp, page: Page, artifacts_dir: Path
) -> None:
    app = live_app
    check = PageChecks(artifacts_dir, "builder-journey")
    teacher_api, student_id = create_people(app)

    def stand_in_player(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=STAND_IN)

    page.route("https://www.youtube-nocookie.com/**", stand_in_player)
    dialogs = Dialogs(page)

    page.goto(app.url("/auth/login"))
    log_in(page, app, TEACHER["email"], TEACHER["password"])
    page.goto(app.url("/lessons/new"))
    page.locator("#field-title").fill(TITLE)
    page.locator('main form[action="/lessons/new"] button[type=submit]').click()
    page.wait_for_url(re.compile(r"/lessons/\d+/edit$"))
    lesson_id = int(urlsplit(page.url).path.split("/")[2])
    builder = app.url(f"/lessons/{lesson_id}/edit")

    def still_on_builder() -> bool:
        return urlsplit(page.url).path == f"/lessons/{lesson_id}/edit"

    # 1. Four blocks; each shows as a student sees it, its editor closed behind "Edit".
    text_id = add_block(page, "text", {"markdown": "## Правило\n\nГлагол **goes**."})
    single_id = add_block(
        page, "single_choice", {"prompt": "She ___ to school.", "options": "go\n*goes"}
    )
    video_id = add_block(
        page, "video", {"url": f"https://www.youtube.com/watch?v={VIDEO_ID}", "title": "Урок"}
    )
    truth_id = add_block(page, "true_false", {"prompt": "Water is wet."})
    assert dialogs.take() == []
    expect(page.locator("#lesson-version")).to_have_text("1")

    expect(page.locator(f"#block-{text_id} .block-view h2")).to_be_visible()
    single = page.locator(f"#block-{single_id}")
    expect(single.locator(".block-view input[type=radio]")).to_have_count(2)
    expect(single.locator(".block-view")).not_to_contain_text("*goes")  # no answer key shown
    for block_id in (text_id, single_id, video_id, truth_id):
        expect(page.locator(f"#editor-{block_id}")).to_be_hidden()
        toggle = page.locator(f"#block-{block_id} [data-edit-toggle]")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
    frame = page.locator(f"#block-{video_id} iframe")
    expect(frame).to_have_attribute("src", PLAYER)
    expect(frame).to_have_attribute("title", "Урок")
    expect(frame).to_have_attribute("referrerpolicy", "strict-origin-when-cross-origin")
    expect(page.frame_locator(f"#block-{video_id} iframe").locator("p")).to_have_text(
        "Video player"
    )
    check(page, "blocks")

    # 2. "Edit" opens the editor (and focuses it); typing marks the block unsaved.
    page.locator(f"#block-{single_id} [data-edit-toggle]").click()
    expect(page.locator(f"#editor-{single_id}")).to_be_visible()
    expect(page.locator(f"#block-{single_id} [data-edit-toggle]")).to_have_attribute(
        "aria-expanded", "true"
    )
    prompt = page.locator(f"#b-{single_id}-prompt")
    expect(prompt).to_be_focused()
    prompt.fill("He ___ to work.")
    expect(page.locator(f"#block-{single_id} [data-unsaved-badge]")).to_be_visible()
    check(page, "editing")

    # 3. Leaving the page with the unsaved edit asks first; refused, the page and edit stay.
    page.locator(f'main a[href="/lessons/{lesson_id}/preview"]').click()
    page.wait_for_timeout(300)
    assert dialogs.take() == ["beforeunload"]
    assert still_on_builder(), page.url
    expect(prompt).to_have_value("He ___ to work.")

    # 4. Saving another block would lose it too: asked, refused, nothing is sent.
    page.locator(f"#block-{truth_id} [data-edit-toggle]").click()
    page.locator(f"#editor-{truth_id} button[type=submit]").click()
    page.wait_for_timeout(300)
    assert dialogs.take() == ["confirm"]
    assert still_on_builder(), page.url
    expect(prompt).to_have_value("He ___ to work.")

    # 5. Saving the edited block itself asks nothing; the view shows the new prompt.
    page.locator(f"#editor-{single_id} button[type=submit]").click()
    page.wait_for_url(builder + f"#block-{single_id}")
    assert dialogs.take() == []
    expect(page.locator(f"#block-{single_id} .block-view")).to_contain_text("He ___ to work.")
    expect(page.locator(f"#editor-{single_id}")).to_be_hidden()
    expect(page.locator("#lesson-version")).to_have_text("1")

    # 6. Deleting a block asks first: refused, it stays; accepted, it goes.
    delete = page.locator(f"#block-{truth_id} form[action$='/delete'] button[type=submit]")
    delete.click()
    page.wait_for_timeout(300)
    assert dialogs.take() == ["confirm"]
    expect(page.locator(f"#block-{truth_id}")).to_have_count(1)
    dialogs.accept = True
    delete.click()
    page.wait_for_url(builder)
    assert dialogs.take() == ["confirm"]
    expect(page.locator(f"#block-{truth_id}")).to_have_count(0)
    dialogs.accept = False
    expect(page.locator("#lesson-version")).to_have_text("1")

    # 7. Once assigned, the next edit makes version 2; later edits keep it.
    response = httpx.post(
        app.url("/api/v1/assignments"),
        json={"lesson_id": lesson_id, "student_ids": [student_id]},
        headers=teacher_api,
        timeout=30,
    )
    assert response.status_code == 201, response.text
    for number, markdown in enumerate(("Первая правка", "Вторая правка")):
        page.goto(builder)
        page.locator(f"#block-{text_id} [data-edit-toggle]").click()
        page.locator(f"#b-{text_id}-markdown").fill(markdown)
        page.locator(f"#editor-{text_id} button[type=submit]").click()
        page.wait_for_url(builder + f"#block-{text_id}")
        expect(page.locator(f"#block-{text_id} .block-view")).to_contain_text(markdown)
        expect(page.locator("#lesson-version")).to_have_text("2")
        assert number in (0, 1)
    assert dialogs.take() == []


def test_without_scripts_every_editor_is_open(live_app: LiveApp, page: Page) -> None:
    """builder.js only hides what works without it: with scripts off, the forms are there."""
    app = live_app
    headers = bearer(app, TEACHER["email"], TEACHER["password"])
    response = httpx.post(
        app.url("/api/v1/lessons"),
        json={"title": "No script", "content": [{"type": "text", "markdown": "Hi"}]},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 201, response.text
    lesson_id = response.json()["id"]
    context = page.context.browser
    assert context is not None
    no_script = context.new_context(java_script_enabled=False)
    try:
        other = no_script.new_page()
        other.goto(app.url("/auth/login"))
        log_in(other, app, TEACHER["email"], TEACHER["password"])
        other.goto(app.url(f"/lessons/{lesson_id}/edit"))
        block_id = response.json()["content"][0]["id"]
        expect(other.locator(f"#editor-{block_id}")).to_be_visible()
        expect(other.locator(f"#block-{block_id} [data-edit-toggle]")).to_be_hidden()
    finally:
        no_script.close()
