"""The lesson player when things go wrong, in the browser: the session ends while the student
types (autosave says so, the answer is kept in the browser and saved after the login), a Save
pressed without a session comes back to the player after the login (not to a 405 page) with the
typed answer, and a timed lesson counts down, warns a minute before the end, says when the time is
up and submits by itself.

The people and lessons are made through the JSON API; the student works through the pages.
Elements are found by ids and names; what the page says is compared with the texts the page
itself carries for its script (`#player-texts`), never with wording written here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import URL, make_url

from tests.e2e.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CREATE_ADMIN,
    PHONE,
    LiveApp,
    PageChecks,
    assert_fits,
    bearer,
    path_of,
)

pytestmark = pytest.mark.e2e

TEACHER = {
    "email": "teacher.resilience@test.com",
    "password": "Teacher-Pass-2024!",
    "surname": "Sokolova",
    "name": "Vera",
    "birthday": "1985-05-05",
}
STUDENT = {
    "email": "student.resilience@test.com",
    "password": "Student-Pass-2024!",
    "surname": "Belov",
    "name": "Artem",
    "birthday": "2011-04-04",
}
CONTENT = [
    {"id": "q1", "type": "short_answer", "prompt": "Past tense of *go*?", "accepted": ["went"]},
    {"id": "es", "type": "essay", "prompt": "Describe your morning.", "points": 2},
]
KEPT_PREFIX = "tutor-player:"


@pytest.fixture(scope="module")
def assignments(live_app: LiveApp) -> dict[str, int]:
    """The admin, a teacher, one student, and three lessons assigned to the student."""
    app = live_app
    created = app.manage(*CREATE_ADMIN)
    assert created.returncode == 0, created.stdout + created.stderr
    admin = bearer(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    response = httpx.post(app.url("/api/v1/teachers"), json=TEACHER, headers=admin, timeout=30)
    assert response.status_code == 201, response.text
    teacher = bearer(app, TEACHER["email"], TEACHER["password"])
    response = httpx.post(app.url("/api/v1/students"), json=STUDENT, headers=teacher, timeout=30)
    assert response.status_code == 201, response.text
    student_id = int(response.json()["id"])
    ids = {}
    lessons: dict[str, dict[str, Any]] = {
        "autosave": {},
        "form-save": {},
        "timed": {"time_limit_minutes": 2},
        "overtime": {"time_limit_minutes": 5},
    }
    for name, settings in lessons.items():
        lesson = {"title": f"Урок {name}", "status": "published", "content": CONTENT, **settings}
        response = httpx.post(app.url("/api/v1/lessons"), json=lesson, headers=teacher, timeout=30)
        assert response.status_code == 201, response.text
        response = httpx.post(
            app.url("/api/v1/assignments"),
            json={"lesson_id": response.json()["id"], "student_ids": [student_id]},
            headers=teacher,
            timeout=30,
        )
        assert response.status_code == 201, response.text
        ids[name] = int(response.json()["assignment_ids"][0])
    return ids


# --- steps


def log_in_here(page: Page, app: LiveApp, expected_path: str) -> None:
    """The login form the page is on; the login goes on to `expected_path`."""
    assert path_of(page) == "/auth/login", page.url
    page.locator("#field-email").fill(STUDENT["email"])
    page.locator("#field-password").fill(STUDENT["password"])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(app.url(expected_path))


def open_player(page: Page, app: LiveApp, assignment_id: int) -> None:
    page.goto(app.url(f"/assignments/{assignment_id}"))
    if path_of(page) == "/auth/login":
        log_in_here(page, app, f"/assignments/{assignment_id}")
    expect(page.locator("#player-form")).to_be_visible()


def says(page: Page, name: str) -> str:
    """A text the player page carries for its script, in the page's language."""
    value = page.locator("#player-texts").get_attribute(f"data-{name}")
    assert value, name
    return value


def saved_text(page: Page) -> str:
    value = page.locator("#player-form").get_attribute("data-saved")
    assert value
    return value


def kept_in_browser(page: Page) -> dict[str, Any]:
    kept: dict[str, Any] = page.evaluate(
        """prefix => Object.fromEntries(Object.keys(localStorage)
            .filter(key => key.startsWith(prefix))
            .map(key => [key, JSON.parse(localStorage.getItem(key))]))""",
        KEPT_PREFIX,
    )
    return kept


def server_answers(app: LiveApp, assignment_id: int) -> dict[str, Any]:
    student = bearer(app, STUDENT["email"], STUDENT["password"])
    response = httpx.get(
        app.url(f"/api/v1/assignments/{assignment_id}"), headers=student, timeout=30
    )
    assert response.status_code == 200, response.text
    answers: dict[str, Any] = response.json()["answers"]
    return answers


def owner_connection(server_url: URL, app: LiveApp) -> psycopg.Connection[Any]:
    """The scratch database as its owner (no row-level security), to move a clock back."""
    database = make_url(app.env["DATABASE_URL"]).database
    url = server_url.set(drivername="postgresql", database=database)
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


# --- the journeys


def test_session_ends_while_typing_the_answer_is_kept_and_saved_after_login(
    live_app: LiveApp, page: Page, assignments: dict[str, int], artifacts_dir: Path
) -> None:
    app = live_app
    check = PageChecks(artifacts_dir, "player-resilience")
    assignment_id = assignments["autosave"]
    player = f"/assignments/{assignment_id}"
    open_player(page, app, assignment_id)
    status = page.locator("#save-status")

    page.locator("#a-q1").fill("go")
    expect(status).to_have_text(saved_text(page))
    assert kept_in_browser(page) == {}  # the server has it: nothing kept
    check(page, "player")

    # Both session cookies gone (expired, or cleared): the next autosave says why it failed.
    page.context.clear_cookies()
    page.locator("#a-q1").fill("went")
    page.locator("#a-es").fill("I get up at seven and walk to school.")
    expect(status).to_contain_text(says(page, "session-ended"))
    login_link = status.locator("a")
    expect(login_link).to_have_attribute("href", says(page, "login-url"))
    kept = kept_in_browser(page)
    assert list(kept) == [f"{KEPT_PREFIX}{assignment_id}:1"]
    assert kept[f"{KEPT_PREFIX}{assignment_id}:1"]["answers"]["answer.q1"] == ["went"]
    assert kept[f"{KEPT_PREFIX}{assignment_id}:1"]["typedAt"]
    check(page, "player-session-ended")

    # The link leads through the login back to the player (a GET page), where the kept
    # answers are put back and saved.
    login_link.click()
    page.wait_for_url(lambda url: path_of_url(url) == "/auth/login")
    log_in_here(page, app, player)
    expect(page.locator("#a-q1")).to_have_value("went")
    expect(page.locator("#a-es")).to_have_value("I get up at seven and walk to school.")
    expect(status).to_contain_text(says(page, "restored"))
    expect(status).to_contain_text(saved_text(page))
    check(page, "player-restored")
    assert kept_in_browser(page) == {}
    assert server_answers(app, assignment_id)["q1"] == "went"

    # The server has them: a reload shows them from there.
    page.reload()
    expect(page.locator("#a-q1")).to_have_value("went")
    expect(status).to_have_text("")


def path_of_url(url: str) -> str:
    return httpx.URL(url).path


def test_save_pressed_without_a_session_comes_back_to_the_player_with_the_answer(
    live_app: LiveApp, page: Page, assignments: dict[str, int]
) -> None:
    app = live_app
    assignment_id = assignments["form-save"]
    player = f"/assignments/{assignment_id}"
    open_player(page, app, assignment_id)
    status = page.locator("#save-status")

    # No connection: said so, kept in the browser, and saved once the connection is back.
    page.context.set_offline(True)
    page.locator("#a-es").fill("Written on the train.")
    expect(status).to_have_text(says(page, "offline"))
    assert kept_in_browser(page)
    page.context.set_offline(False)
    expect(status).to_have_text(saved_text(page), timeout=15_000)
    assert kept_in_browser(page) == {}
    assert server_answers(app, assignment_id)["es"] == "Written on the train."

    page.context.clear_cookies()
    page.locator("#a-q1").fill("went")
    # The Save button: a plain form post, without a session.
    page.locator("#player-form .player-actions button:not([formaction])").click()
    page.wait_for_url(lambda url: path_of_url(url) == "/auth/login")
    assert httpx.URL(page.url).params.get("next") == player  # the page, not /save
    log_in_here(page, app, player)
    assert path_of(page) == player
    expect(page.locator("#player-form")).to_be_visible()
    expect(page.locator("#a-q1")).to_have_value("went")
    expect(status).to_contain_text(says(page, "restored"))
    expect(status).to_contain_text(saved_text(page))
    assert server_answers(app, assignment_id)["q1"] == "went"
    assert kept_in_browser(page) == {}

    # Submitted: nothing of this assignment stays in the browser.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#player-form button[data-confirm-submit]").click()
    expect(page.locator("#player-done")).to_be_visible()
    assert kept_in_browser(page) == {}


def test_timed_lesson_counts_down_warns_and_submits_when_time_is_up(
    live_app: LiveApp, page: Page, assignments: dict[str, int], artifacts_dir: Path
) -> None:
    app = live_app
    check = PageChecks(artifacts_dir, "player-timed")
    assignment_id = assignments["timed"]
    player = f"/assignments/{assignment_id}"
    # The browser's clock runs a day behind the server's: the countdown follows the server.
    start = datetime.now(UTC) - timedelta(days=1)
    page.clock.install(time=start)
    open_player(page, app, assignment_id)

    # Before the first answer: how long the student will have; no countdown yet.
    expect(page.locator("#time-limit-notice")).to_be_visible()
    expect(page.locator("#time-limit-notice")).to_contain_text("2")
    expect(page.locator("#time-left")).to_be_hidden()
    check(page, "before-start")

    page.locator("#a-q1").fill("goed")
    expect(page.locator("#save-status")).to_have_text(saved_text(page))
    expect(page.locator("#time-left-clock")).to_have_text(re.compile(r"^0[12]:\d\d$"))
    expect(page.locator("#time-limit-notice")).to_be_hidden()

    # Reloaded: the end time as the server says, in the student's zone, and the countdown.
    page.reload()
    expect(page.locator("#time-left")).to_be_visible()
    expect(page.locator("#time-left time")).to_have_count(1)
    expect(page.locator("#time-left-clock")).to_have_text(re.compile(r"^0[01]:\d\d$"))
    assert page.locator("#time-left-clock").get_attribute("role") == "timer"
    assert page.locator("#time-left-clock").get_attribute("aria-live") == "off"
    check(page, "counting-down")
    expect(page.locator("#time-announcer")).to_have_text("")
    # From here on the browser's time moves only when the test moves it (axe, which needs
    # timers, runs no more).
    browser_now = page.evaluate("() => Date.now()") / 1000
    page.clock.pause_at(datetime.fromtimestamp(browser_now + 1, UTC))

    # A minute before the end: said once, politely.
    page.clock.fast_forward("01:00")
    expect(page.locator("#time-announcer")).to_have_text(says(page, "left-1"))
    page.locator("#a-q1").fill("went")  # typed in the last minute

    # The end: said plainly, the answers locked, and a moment later submitted by itself.
    page.clock.fast_forward("01:10")
    time_up = page.locator("#time-up-message")
    expect(time_up).to_be_visible()
    expect(page.locator("#time-announcer")).to_have_text(time_up.inner_text())
    expect(page.locator("#time-left-clock")).to_have_text("00:00")
    expect(page.locator("#a-q1")).to_be_disabled()
    page.screenshot(path=artifacts_dir / "player-timed-03-time-up-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert_fits(page, "time-up", PHONE["width"])
    page.screenshot(path=artifacts_dir / "player-timed-03-time-up-phone.png", full_page=True)
    page.clock.fast_forward("00:05")
    expect(page.locator("#player-done")).to_be_visible()
    assert path_of(page) == player
    # The server took the answer typed in the last minute (within its grace after the time).
    assert server_answers(app, assignment_id)["q1"] == "went"
    assert kept_in_browser(page) == {}


def test_autosave_after_the_server_says_time_is_up(
    live_app: LiveApp,
    page: Page,
    assignments: dict[str, int],
    server_url: URL,
    artifacts_dir: Path,
) -> None:
    app = live_app
    assignment_id = assignments["overtime"]
    open_player(page, app, assignment_id)
    page.locator("#a-q1").fill("go")
    expect(page.locator("#save-status")).to_have_text(saved_text(page))

    # The attempt began ten minutes ago on the server (a five-minute limit).
    with owner_connection(server_url, app) as connection:
        moved = connection.execute(
            "UPDATE lesson_assignments SET started_at = started_at - interval '10 minutes'"
            " WHERE id = %s",
            (assignment_id,),
        )
        assert moved.rowcount == 1
    page.locator("#a-q1").fill("went")
    status = page.locator("#save-status")
    # The server's own message (409), in the student's language: not "could not save".
    expect(status).not_to_have_text(saved_text(page))
    expect(status).not_to_have_text("")
    assert status.inner_text() != page.locator("#player-form").get_attribute("data-failed")

    # Reloaded: the page says the time is up; the answers are locked, Submit stays.
    page.reload()
    expect(page.locator("#time-is-up-notice")).to_be_visible()
    expect(page.locator("#a-q1")).to_be_disabled()
    expect(page.locator("#player-form .player-actions button:not([formaction])")).to_be_hidden()
    expect(page.locator("#time-left")).to_be_hidden()
    PageChecks(artifacts_dir, "player-overtime")(page, "time-is-up")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#player-form button[data-confirm-submit]").click()
    expect(page.locator("#player-done")).to_be_visible()
    # What the server had saved before the time was up counts.
    assert server_answers(app, assignment_id)["q1"] == "go"
