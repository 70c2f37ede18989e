"""Importing a question bank, in the browser: from the library a teacher opens "import into a
new lesson", uploads a GIFT file, sees the preview (the questions, and the one question that
cannot be imported with its line), confirms, and the builder shows the imported blocks. Every
page is checked with axe and at 390 px."""

from __future__ import annotations

from pathlib import Path

import httpx
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
    path_of,
)

pytestmark = pytest.mark.e2e

TEACHER = {
    "email": "teacher.import@test.com",
    "password": "Teacher-Import-2024!",
    "surname": "Smirnova",
    "name": "Olga",
}
# Four questions and a description; the third question has two answers marked "=" and no
# weights, which a single-choice block cannot hold: it is reported at its line (6).
GIFT = """// Контрольная по английскому
::Кошка:: Как по-английски «кошка»? {=cat =a cat}

::Столица:: Столица Великобритании? {=Лондон#Верно ~Париж ~Берлин ####London is the capital.}

::Спорный:: Два верных ответа {=да =конечно ~нет}

Прочитайте правило: знак \\= пишется с обратной косой чертой.

::Пары:: Соедините слова. {=дом -> house =кот -> cat}

::Число:: Сколько будет 2 + 2? {#4}
"""
IMPORTED = 5  # blocks: four questions and the description


def create_teacher(app: LiveApp) -> None:
    created = app.manage(*CREATE_ADMIN)
    assert created.returncode == 0, created.stdout + created.stderr
    login = httpx.post(
        app.url("/api/v1/auth/login"),
        json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
    response = httpx.post(app.url("/api/v1/teachers"), json=TEACHER, headers=admin, timeout=30)
    assert response.status_code == 201, response.text


def test_teacher_imports_a_gift_file_into_a_new_lesson(
    live_app: LiveApp, page: Page, artifacts_dir: Path, tmp_path: Path
) -> None:
    app = live_app
    check = PageChecks(artifacts_dir, "quiz-import")
    create_teacher(app)
    quiz = tmp_path / "Английский_контрольная.gift"
    quiz.write_bytes(GIFT.replace("\n", "\r\n").encode("utf-8-sig"))

    page.goto(app.url("/auth/login"))
    log_in(page, app, TEACHER["email"], TEACHER["password"])
    follow_nav(page, app, "/lessons")
    page.locator('main a[href="/lessons/import"]').click()
    page.wait_for_url(app.url("/lessons/import"))
    check(page, "upload-form")

    # The file goes up; the preview lists what will be imported and what cannot, and why.
    page.locator("#field-file").set_input_files(quiz)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(app.url("/lessons/import/preview"))
    expect(page.locator("main .import-question")).to_have_count(IMPORTED)
    problems = page.locator("#import-problems .import-problem")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("6")
    expect(problems.first).to_contain_text("Спорный")
    expect(page.locator("#field-title")).to_have_value("Английский контрольная")
    check(page, "preview")

    # Confirming reads the file again and opens the new lesson in the builder.
    page.locator("#field-title").fill("Английский: контрольная")
    page.locator("#import-confirm button[type=submit]").click()
    page.wait_for_url(lambda url: path_of_url(url).endswith("/edit"))
    assert path_of(page).startswith("/lessons/")
    expect(page.locator("main h1")).to_have_text("Английский: контрольная")
    expect(page.locator("main ol.blocks > li.block")).to_have_count(IMPORTED)
    expect(page.locator(".flash")).to_contain_text(str(IMPORTED))
    check(page, "builder")


def path_of_url(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0]
