"""The builder explains itself, in the browser: a teacher makes typical mistakes in blocks and
is told in Russian what to do (the alert box passes axe), sees how matching lines were
understood, and a student's essay shows a live word counter and is refused on submit while it
is too short, the text kept.

People and the lesson are set up through the JSON API; the journey under test is the pages.
Elements are found by ids, names and hrefs; the Russian messages themselves are what is tested.
"""

from __future__ import annotations

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
    log_in,
)

pytestmark = pytest.mark.e2e

TEACHER = {
    "email": "teacher.messages@test.com",
    "password": "Teacher-Pass-2024!",
    "surname": "Sokolova",
    "name": "Vera",
    "birthday": "1985-04-01",
}
STUDENT = {
    "email": "student.messages@test.com",
    "password": "Student-Pass-2024!",
    "surname": "Petrov",
    "name": "Oleg",
    "birthday": "2011-05-06",
}


def _set_up(app: LiveApp) -> tuple[int, int]:
    """The teacher, a student, a draft lesson and an assigned one with a 15 to 200 word essay:
    (the draft's id, the assignment's id)."""
    created = app.manage(*CREATE_ADMIN)
    assert created.returncode == 0, created.stdout + created.stderr
    admin = bearer(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    response = httpx.post(app.url("/api/v1/teachers"), json=TEACHER, headers=admin, timeout=30)
    assert response.status_code == 201, response.text
    teacher = bearer(app, TEACHER["email"], TEACHER["password"])
    response = httpx.post(app.url("/api/v1/students"), json=STUDENT, headers=teacher, timeout=30)
    assert response.status_code == 201, response.text
    student_id = response.json()["id"]

    def lesson(body: dict[str, object]) -> int:
        made = httpx.post(app.url("/api/v1/lessons"), json=body, headers=teacher, timeout=30)
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    draft = lesson({"title": "Квадратные уравнения", "status": "draft"})
    essay = {"id": "es", "type": "essay", "prompt": "Опишите свои каникулы.", "points": 5}
    essay_lesson = lesson(
        {
            "title": "Эссе о каникулах",
            "status": "published",
            "content": [{**essay, "min_words": 15, "max_words": 200}],
        }
    )
    assigned = httpx.post(
        app.url("/api/v1/assignments"),
        json={"lesson_id": essay_lesson, "student_ids": [student_id]},
        headers=teacher,
        timeout=30,
    )
    assert assigned.status_code == 201, assigned.text
    return draft, int(assigned.json()["assignment_ids"][0])


def _new_block(page: Page, app: LiveApp, lesson_id: int, kind: str, fields: dict[str, str]) -> None:
    page.goto(app.url(f"/lessons/{lesson_id}/edit?add={kind}#block-new"))
    block = page.locator("#block-new")
    for name, value in fields.items():
        block.locator(f"#new-{name}").fill(value)
    block.locator("form.block-form button[type=submit]").click()
    page.wait_for_load_state("load")


def test_the_builder_and_the_essay_explain_themselves(
    live_app: LiveApp, page: Page, artifacts_dir: object
) -> None:
    check = PageChecks(artifacts_dir, "builder-messages")  # type: ignore[arg-type]
    lesson_id, assignment_id = _set_up(live_app)

    # Confirmations (submitting; leaving a form with unsent edits) are answered "yes".
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_app.url("/auth/login"))
    log_in(page, live_app, TEACHER["email"], TEACHER["password"])

    # A single choice with no option marked correct: told in Russian where and what to do.
    _new_block(
        page, live_app, lesson_id, "single_choice", {"prompt": "2 + 2 = ?", "options": "3\n4"}
    )
    alert = page.locator("#block-new [role=alert]")
    expect(alert).to_have_text(
        "Варианты ответа: Отметьте один верный вариант звёздочкой * в начале его строки"
    )
    expect(page.locator("#new-options")).to_have_value("3\n4")  # the typed form is kept
    check(page, "single-choice-refused")

    # Matching: maths with `=` in it, one line without the arrow, named by its number; the
    # table under the field shows how every line was read.
    pairs = "D = 0 -> один корень\nD > 0 = два корня"
    _new_block(page, live_app, lesson_id, "matching", {"prompt": "Соедините", "pairs": pairs})
    expect(page.locator("#block-new [role=alert]")).to_have_text(
        "Пары: В строке 2 нет стрелки: запишите пару как левое -> правое"
    )
    understood = page.locator("#new-pairs-understood tbody tr")
    expect(understood).to_have_count(2)
    expect(understood.nth(0).locator("td")).to_have_text(["1", "D = 0", "один корень"])
    expect(understood.nth(1).locator("td").nth(2)).to_have_text("В строке нет стрелки ->")
    check(page, "matching-refused")

    # Fixed, it saves; the saved block's editor shows the pairs as understood.
    page.locator("#new-pairs").fill("D = 0 -> один корень\nD > 0 → два корня")
    page.locator("#block-new form.block-form button[type=submit]").click()
    page.wait_for_url(lambda url: "#block-" in url)
    expect(page.locator("table.pairs-understood tbody tr")).to_have_count(2)
    expect(page.locator("table.pairs-understood tbody tr").nth(1).locator("td")).to_have_text(
        ["2", "D > 0", "два корня"]
    )
    check(page, "matching-saved")

    # The essay's limits the wrong way round.
    _new_block(
        page,
        live_app,
        lesson_id,
        "essay",
        {"prompt": "Эссе", "min_words": "100", "max_words": "10"},
    )
    expect(page.locator("#block-new [role=alert]")).to_contain_text(
        "Минимум слов (100) больше максимума (10)"
    )

    # The student: a live word counter, and a too-short essay refused on submit.
    page.locator('header form[action="/auth/logout"] button[type=submit]').click()
    page.wait_for_url(live_app.url("/auth/login"))
    log_in(page, live_app, STUDENT["email"], STUDENT["password"])
    player = f"/assignments/{assignment_id}"
    page.goto(live_app.url(player))
    counter = page.locator("#count-es")
    expect(counter).to_be_visible()
    expect(counter).to_have_text("Слов: 0, нужно не меньше 15")
    essay = page.locator("#a-es")
    essay.fill("Летом я ездил — к бабушке в деревню")
    expect(counter).to_have_text("Слов: 7, нужно не меньше 15")
    # Screen readers hear it once typing pauses.
    expect(page.locator("#count-es-live")).to_have_text("Слов: 7, нужно не меньше 15")
    check(page, "essay-counter")

    page.locator(f'#player-form button[type=submit][formaction="{player}/submit"]').click()
    refused = page.locator("#error-es")
    expect(refused).to_have_text("Вопрос 1: Слов в эссе: 7, а нужно не меньше 15: допишите текст")
    expect(page.locator("#a-es")).to_have_value("Летом я ездил — к бабушке в деревню")
    check(page, "essay-refused")

    long_enough = " ".join(["Летом я ездил к бабушке в деревню и купался в реке."] * 2)
    page.locator("#a-es").fill(long_enough)
    expect(page.locator("#count-es")).to_have_text("Слов: 22")
    page.locator(f'#player-form button[type=submit][formaction="{player}/submit"]').click()
    page.wait_for_url(live_app.url(player))
    expect(page.locator("#player-form")).to_have_count(0)
    expect(page.locator("main .badge-submitted")).to_be_visible()
