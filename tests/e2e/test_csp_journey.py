"""The Content-Security-Policy in a real browser: the login page, a teacher's dashboard and lesson
builder, a student's dashboard and lesson player (with its autosave script) load and work with no
violation reported; and after logging out, Back does not show the dashboard from the cache.

A violation is caught twice: Chromium's console message ("Refused to ... Content Security
Policy") and the page's `securitypolicyviolation` event, recorded by a script the browser injects
before any of the page's own (CSP does not apply to it). A deliberate inline script proves the
listener hears violations at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, Route, expect

from tests.e2e.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CREATE_ADMIN,
    LiveApp,
    bearer,
    log_in,
    log_out,
    path_of,
)
from tests.lms.helpers import full_lesson

pytestmark = pytest.mark.e2e

TEACHER = {
    "email": "teacher.csp@test.com",
    "password": "Teacher-Pass-2024!",
    "surname": "Petrova",
    "name": "Olga",
}
STUDENT = {
    "email": "student.csp@test.com",
    "password": "Student-Pass-2024!",
    "surname": "Sidorov",
    "name": "Ivan",
}
# Markdown with an https image (allowed: it would load) and an http tracking pixel (dropped).
MARKDOWN = (
    "## Intro\n\n![A diagram](https://example.org/diagram.png)\n\n"
    "![tracking pixel](http://tracker.example/pixel.gif)"
)

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ` +
    `${event.sourceFile || document.location.pathname}:${event.lineNumber}`
  );
});
"""


class Violations:
    """What the console and the page's listener reported since the last check."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", self._note)

    def _note(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(f"{self.page.url}: {message.text}")

    def take(self) -> list[str]:
        self.page.wait_for_load_state("load")
        seen: list[str] = self.page.evaluate("() => window.__cspViolations.splice(0)")
        found, self.console = self.console + seen, []
        return found

    def assert_none(self, name: str) -> None:
        found = self.take()
        assert not found, f"CSP violations on {name} ({self.page.url}):\n" + "\n".join(found)


def _only_this_site(app: LiveApp) -> Callable[[Route], None]:
    """No request leaves the machine (the lesson's https image): abort it, quickly."""
    own = urlsplit(app.base_url).netloc

    def handle(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            route.abort()

    return handle


@pytest.fixture
def watched(page: Page, live_app: LiveApp) -> Iterator[Violations]:
    page.context.add_init_script(LISTEN)
    page.context.route("**/*", _only_this_site(live_app))
    yield Violations(page)


@pytest.fixture(scope="module")
def lesson_id(live_app: LiveApp) -> int:
    """The admin, the teacher, a student, a lesson with every block type assigned to them."""
    app = live_app
    created = app.manage(*CREATE_ADMIN)
    assert created.returncode == 0, created.stdout + created.stderr
    admin = bearer(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    teacher_made = httpx.post(app.url("/api/v1/teachers"), json=TEACHER, headers=admin)
    assert teacher_made.status_code == 201, teacher_made.text
    teacher = bearer(app, TEACHER["email"], TEACHER["password"])
    student = httpx.post(app.url("/api/v1/students"), json=STUDENT, headers=teacher)
    assert student.status_code == 201, student.text
    lesson = full_lesson(title="CSP lesson")
    lesson["content"][0]["markdown"] = MARKDOWN
    made = httpx.post(app.url("/api/v1/lessons"), json=lesson, headers=teacher)
    assert made.status_code == 201, made.text
    assigned = httpx.post(
        app.url("/api/v1/assignments"),
        json={"lesson_id": made.json()["id"], "student_ids": [student.json()["id"]]},
        headers=teacher,
    )
    assert assigned.status_code == 201, assigned.text
    return int(made.json()["id"])


def test_pages_load_without_csp_violations(
    live_app: LiveApp, page: Page, watched: Violations, lesson_id: int
) -> None:
    app = live_app

    # The login page; and a control: an inline script is refused and reported.
    page.goto(app.url("/auth/login"))
    watched.assert_none("the login page")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = true'; document.body.append(s); }"
    )
    assert page.evaluate("() => window.__ran === undefined"), "an inline script ran"
    assert any("script-src" in found for found in watched.take()), "the listener heard nothing"

    # The teacher: dashboard, the lesson builder (every block type's editor), the preview.
    log_in(page, app, TEACHER["email"], TEACHER["password"])
    watched.assert_none("the teacher's dashboard")
    page.goto(app.url(f"/lessons/{lesson_id}/edit"))
    expect(page.locator("main ol.blocks > li.block")).not_to_have_count(0)
    watched.assert_none("the lesson builder")
    page.goto(app.url(f"/lessons/{lesson_id}/preview"))
    watched.assert_none("the lesson preview")
    log_out(page, app)
    watched.assert_none("the login page after logout")

    # The student: dashboard, the player, an answer autosaved by player.js (a fetch).
    log_in(page, app, STUDENT["email"], STUDENT["password"])
    watched.assert_none("the student's dashboard")
    page.locator('main section[aria-labelledby="todo-heading"] a.assignment-title').click()
    page.wait_for_url(re.compile(r"/assignments/\d+$"))
    image = page.locator("main .block-text img")
    expect(image).to_have_count(1)
    expect(image).to_have_attribute("src", "https://example.org/diagram.png")
    expect(image).to_have_attribute("referrerpolicy", "no-referrer")
    expect(page.locator("main .block-text")).to_contain_text("tracking pixel")
    form = page.locator("#player-form")
    with page.expect_response(lambda r: r.url.endswith("/save") and r.status == 204):
        page.locator("#a-sa").fill("Paris")
    expect(page.locator("#save-status")).to_have_text(form.get_attribute("data-saved") or "")
    watched.assert_none("the lesson player")


def test_back_after_logout_does_not_show_the_dashboard(
    live_app: LiveApp, page: Page, lesson_id: int
) -> None:
    """Without request interception: it would switch the browser's cache off."""
    app = live_app
    page.goto(app.url("/auth/login"))
    log_in(page, app, STUDENT["email"], STUDENT["password"])
    expect(page.locator("main")).to_contain_text("CSP lesson")
    log_out(page, app)
    page.go_back()
    page.wait_for_load_state("load")
    assert path_of(page) == "/auth/login", page.url
    expect(page.locator("#field-email")).to_be_visible()
    expect(page.locator('header form[action="/auth/logout"]')).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("CSP lesson")
