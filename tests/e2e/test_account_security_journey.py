"""Account security in the browser: two browsers logged in as one teacher, "log out everywhere
else" from the first ends the second's session, then a password change (the old password stops
working, the new one works); and the one-time password journey (the teacher issues it, the
student logs in with it, is held on the password page until they choose their own, then reaches
their dashboard). The account and audit pages are checked with axe and photographed on a
desktop and a phone-sized viewport into test-artifacts/e2e/.

Elements are found by ids, names and hrefs, never by visible text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CREATE_ADMIN,
    DESKTOP,
    LiveApp,
    PageChecks,
    bearer,
    follow_nav,
    log_in,
    path_of,
    submit_main_form,
)

pytestmark = pytest.mark.e2e

TEACHER = {
    "email": "teacher.security@test.com",
    "password": "Teacher-Pass-2024!",
    "surname": "Sokolova",
    "name": "Elena",
}
STUDENT = {
    "email": "student.security@test.com",
    "password": "Student-Pass-2024!",
    "surname": "Morozov",
    "name": "Artem",
}
NEW_TEACHER_PASSWORD = "Teacher-Changed-2025!"
STUDENT_OWN_PASSWORD = "Student-Own-2025!"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture(scope="module")
def student_id(live_app: LiveApp) -> int:
    """The admin (the seed's CLI line), the teacher and their student, through the API."""
    created = live_app.manage(*CREATE_ADMIN)
    assert created.returncode == 0, created.stdout + created.stderr
    admin = bearer(live_app, ADMIN_EMAIL, ADMIN_PASSWORD)
    response = httpx.post(live_app.url("/api/v1/teachers"), json=TEACHER, headers=admin, timeout=30)
    assert response.status_code == 201, response.text
    teacher = bearer(live_app, TEACHER["email"], TEACHER["password"])
    response = httpx.post(
        live_app.url("/api/v1/students"), json=STUDENT, headers=teacher, timeout=30
    )
    assert response.status_code == 201, response.text
    # The set-up's own login ends, so the teacher's logins are only the journey's browsers.
    logout = httpx.post(live_app.url("/api/v1/auth/logout"), headers=teacher, timeout=30)
    assert logout.status_code == 204, logout.text
    return int(response.json()["id"])


@pytest.fixture
def second_browser(browser: Browser) -> Iterator[BrowserContext]:
    """Another browser profile (its own cookies): the teacher's other device."""
    context = browser.new_context(viewport=DESKTOP, user_agent=FIREFOX)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def try_login(page: Page, app: LiveApp, email: str, password: str) -> int:
    """Submit the login form; the status of the form's answer."""
    page.goto(app.url("/auth/login"))
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(password)
    with page.expect_response(
        lambda r: r.request.method == "POST" and urlsplit(r.url).path == "/auth/login"
    ) as answer:
        submit_main_form(page)
    return answer.value.status


def test_log_out_everywhere_else_then_change_the_password(
    live_app: LiveApp,
    student_id: int,
    page: Page,
    second_browser: BrowserContext,
    artifacts_dir: Path,
) -> None:
    app = live_app
    check = PageChecks(artifacts_dir, "account")
    other = second_browser.new_page()

    # Two browsers, one teacher.
    for browser_page in (page, other):
        browser_page.goto(app.url("/auth/login"))
        log_in(browser_page, app, TEACHER["email"], TEACHER["password"])

    # A sees both logins, the other one as "Firefox · Windows", and ends it.
    follow_nav(page, app, "/account")
    sessions = page.locator("main li.session")
    expect(sessions).to_have_count(2)
    expect(page.locator("main li.session-current")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("Firefox · Windows")
    check(page, "account-two-sessions")
    page.locator("#end-other-sessions").click()
    page.wait_for_url(app.url("/account"))
    expect(page.locator("main .flash")).to_be_visible()
    expect(sessions).to_have_count(1)
    expect(page.locator("#end-other-sessions")).to_have_count(0)

    # B's very next navigation lands on the login page.
    other.goto(app.url("/dashboard"))
    other.wait_for_url("**/auth/login?next=*")
    assert path_of(other) == "/auth/login"

    # A changes the password (a wrong current one first: the message is at that field).
    page.locator("#change-password").click()
    page.wait_for_url(app.url("/account/password"))
    page.locator("#field-current_password").fill("Not-The-Password-1!")
    page.locator("#field-new_password").fill(NEW_TEACHER_PASSWORD)
    submit_main_form(page)
    expect(page.locator("#error-current_password")).to_be_visible()
    expect(page.locator("#field-current_password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-new_password")).to_have_value("")  # never echoed back
    check(page, "account-password-error")
    page.locator("#field-current_password").fill(TEACHER["password"])
    page.locator("#field-new_password").fill(NEW_TEACHER_PASSWORD)
    submit_main_form(page)
    page.wait_for_url(app.url("/account"))
    expect(page.locator("main .flash")).to_be_visible()

    # The old password no longer logs in; the new one does.
    assert try_login(other, app, TEACHER["email"], TEACHER["password"]) == 401
    expect(other.locator("#login-error")).to_be_visible()
    assert try_login(other, app, TEACHER["email"], NEW_TEACHER_PASSWORD) == 303
    other.wait_for_url(app.url("/dashboard"))

    # The audit log has what happened, in the teacher's time zone.
    follow_nav(page, app, "/audit")
    expect(page.locator("main table.audit-table tbody tr").first).to_be_visible()
    check(page, "audit")


def test_one_time_password_journey(
    live_app: LiveApp,
    student_id: int,
    page: Page,
    second_browser: BrowserContext,
    artifacts_dir: Path,
) -> None:
    app = live_app
    check = PageChecks(artifacts_dir, "one-time-password")
    teacher_password = _current_teacher_password(app)

    # The teacher issues a one-time password from the student's page and sees it once.
    page.goto(app.url("/auth/login"))
    log_in(page, app, TEACHER["email"], teacher_password)
    page.goto(app.url(f"/students/{student_id}/edit"))
    page.locator("#issue-one-time-password").click()
    page.wait_for_url(app.url(f"/students/{student_id}/one-time-password"))
    one_time = page.locator("#one-time-password").inner_text().strip()
    assert len(one_time) >= 10
    check(page, "issued")

    # The student logs in with it and is held on the password page.
    student = second_browser.new_page()
    assert try_login(student, app, STUDENT["email"], one_time) == 303
    student.wait_for_url(app.url("/account/password"))
    expect(student.locator("#password-change-required")).to_be_visible()
    check(student, "forced-password-change")
    student.goto(app.url("/dashboard"))
    student.wait_for_url(app.url("/account/password"))
    response = student.request.get(app.url("/api/v1/lessons"))
    assert response.status == 403
    assert response.json()["code"] in ("password_change_required", "forbidden")

    # They choose their own password and reach their dashboard.
    student.locator("#field-current_password").fill(one_time)
    student.locator("#field-new_password").fill(STUDENT_OWN_PASSWORD)
    submit_main_form(student)
    student.wait_for_url(app.url("/dashboard"))
    expect(student.locator("main .flash")).to_be_visible()
    expect(student.locator("main")).to_contain_text(STUDENT["email"])
    follow_nav(student, app, "/account")
    check(student, "student-account")


def _current_teacher_password(app: LiveApp) -> str:
    """The journeys share one server: the teacher's password may already be the changed one."""
    for password in (NEW_TEACHER_PASSWORD, TEACHER["password"]):
        response = httpx.post(
            app.url("/api/v1/auth/login"),
            json={"email": TEACHER["email"], "password": password},
            timeout=30,
        )
        if response.status_code == 200:
            token = {"Authorization": f"Bearer {response.json()['access_token']}"}
            httpx.post(app.url("/api/v1/auth/logout"), headers=token, timeout=30)
            return password
    raise AssertionError("the teacher can log in with neither password")
