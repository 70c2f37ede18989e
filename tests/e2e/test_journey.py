"""The first journey, all in the browser: open the site, get sent to login, create the admin with
the seed's CLI line, log in, create a teacher, log in as the teacher, create a student, log in as
the student. Every distinct page is checked with axe (no serious or critical violation) and
photographed on a desktop and a phone-sized viewport into test-artifacts/e2e/.

Elements are found by ids and names, never by visible text: the wording and translations change.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CREATE_ADMIN,
    LiveApp,
    PageChecks,
    follow_nav,
    log_in,
    log_out,
    path_of,
    submit_main_form,
)

pytestmark = pytest.mark.e2e

TEACHER = {
    "email": "teacher.e2e@test.com",
    "password": "Teacher-Pass-2024!",
    "surname": "Ivanova",
    "name": "Maria",
    "second_name": "Petrovna",
    "birthday": "1985-05-20",
}
STUDENT = {
    "email": "student.e2e@test.com",
    "password": "Student-Pass-2024!",
    "surname": "Smirnov",
    "name": "Pavel",
    "birthday": "2010-09-01",
}


def fill_person(page: Page, person: dict[str, str]) -> None:
    for field, value in person.items():
        page.locator(f"#field-{field}").fill(value)


def test_admin_teacher_student_journey(live_app: LiveApp, page: Page, artifacts_dir: Path) -> None:
    app = live_app
    check = PageChecks(artifacts_dir, "journey")

    # 1. The site's root sends a stranger to the login page, remembering where they were going.
    page.goto(app.url("/"))
    page.wait_for_url("**/auth/login?next=*")
    assert path_of(page) == "/auth/login"
    assert "next" in parse_qs(urlsplit(page.url).query), page.url
    # The e-mail field has the focus: the person can type straight away.
    assert page.evaluate("document.activeElement && document.activeElement.id") == "field-email"
    check(page, "login")

    # 2. The administrator is created with the seed's command line.
    created = app.manage(*CREATE_ADMIN)
    assert created.returncode == 0, created.stdout + created.stderr
    assert ADMIN_EMAIL in created.stdout

    # 3. The administrator logs in and lands on their dashboard.
    log_in(page, app, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.locator("main")).to_be_visible()
    check(page, "dashboard-superuser")

    # 4. A teacher is created through the form reached from the navigation.
    follow_nav(page, app, "/superuser/create-teacher")
    check(page, "create-teacher")
    fill_person(page, TEACHER)
    submit_main_form(page)
    page.wait_for_url(app.url("/superuser/teachers"))
    expect(page.locator("main .flash")).to_be_visible()
    expect(page.locator("main table")).to_contain_text(TEACHER["email"])
    check(page, "teacher-list")

    # The same e-mail again: 409, the form is shown again with the message at the e-mail field.
    follow_nav(page, app, "/superuser/create-teacher")
    fill_person(page, TEACHER)
    with page.expect_response(
        lambda r: r.request.method == "POST" and urlsplit(r.url).path == "/superuser/create-teacher"
    ) as conflict:
        submit_main_form(page)
    assert conflict.value.status == 409
    expect(page.locator("#error-email")).to_be_visible()
    expect(page.locator("#field-email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-email")).to_have_attribute("aria-describedby", "error-email")
    expect(page.locator("#field-email")).to_have_value(TEACHER["email"])
    expect(page.locator("#field-password")).to_have_value("")  # never echoed back
    check(page, "create-teacher-conflict")

    # 5. Logging out ends the session: the dashboard is out of reach again.
    log_out(page, app)
    page.goto(app.url("/dashboard"))
    page.wait_for_url("**/auth/login?next=*")

    # 6. The teacher logs in and creates a student.
    page.goto(app.url("/auth/login"))
    log_in(page, app, TEACHER["email"], TEACHER["password"])
    check(page, "dashboard-teacher-empty")
    # The dashboard's "New student" button (the navigation has Students, Lessons, Groups).
    page.locator('main a[href="/students/new"]').first.click()
    page.wait_for_url(app.url("/students/new"))
    check(page, "create-student")
    fill_person(page, STUDENT)
    submit_main_form(page)
    page.wait_for_url(app.url("/students"))
    expect(page.locator("main .flash")).to_be_visible()
    check(page, "student-list")
    follow_nav(page, app, "/dashboard")
    expect(page.locator("main table")).to_contain_text(STUDENT["email"])
    check(page, "dashboard-teacher")

    # 7. The student logs in and sees their teacher.
    log_out(page, app)
    log_in(page, app, STUDENT["email"], STUDENT["password"])
    main = page.locator("main")
    expect(main).to_contain_text(TEACHER["email"])
    expect(main).to_contain_text(f"{TEACHER['surname']} {TEACHER['name']}")
    expect(main).to_contain_text(STUDENT["email"])
    # A student has no teacher or student pages in the navigation.
    expect(page.locator('header nav a[href="/students/new"]')).to_have_count(0)
    expect(page.locator('header nav a[href="/superuser/create-teacher"]')).to_have_count(0)
    check(page, "dashboard-student")


def test_wrong_password_stays_on_login(live_app: LiveApp, page: Page, artifacts_dir: Path) -> None:
    page.goto(app_login := live_app.url("/auth/login"))
    page.locator("#field-email").fill(ADMIN_EMAIL)
    page.locator("#field-password").fill("Not-The-Password-1!")
    with page.expect_response(
        lambda r: r.request.method == "POST" and urlsplit(r.url).path == "/auth/login"
    ) as answer:
        submit_main_form(page)
    assert answer.value.status == 401
    expect(page.locator("#login-error")).to_be_visible()
    assert page.url == app_login
    expect(page.locator("#field-email")).to_have_value(ADMIN_EMAIL)
    expect(page.locator("#field-password")).to_have_value("")
    PageChecks(artifacts_dir, "login")(page, "login-error")


def test_language_switch_to_english(live_app: LiveApp, page: Page) -> None:
    page.goto(live_app.url("/auth/login"))
    html = page.locator("html")
    # Russian is the default for a stranger.
    expect(html).to_have_attribute("lang", "ru")
    page.locator("#language-select").select_option("en")
    page.locator('header form[action="/language"] button[type=submit]').click()
    expect(html).to_have_attribute("lang", "en")
    assert path_of(page) == "/auth/login"
    expect(page.locator("#language-select")).to_have_value("en")
    # The choice is remembered (a cookie) on the next page load.
    page.reload()
    expect(html).to_have_attribute("lang", "en")
