"""The LMS journey, all in the browser: a teacher builds a lesson with a text block and three
question types, assigns it to two students, a student answers (autosaved: a reload keeps the
answers) and submits, sees the automatic score and that the essay waits for the teacher; the
teacher grades the essay; the student sees the final score and the feedback.

The administrator is created with the seed's CLI line; the teacher and the two students through
the JSON API (the journey under test starts with the teacher). Every new page is checked with axe
(no serious or critical violation) and photographed on a desktop and a phone-sized viewport into
test-artifacts/e2e/. Elements are found by ids, names and hrefs, never by visible text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from tests.e2e.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CREATE_ADMIN,
    LiveApp,
    PageChecks,
    bearer,
    follow_nav,
    log_in,
    log_out,
    path_of,
)

pytestmark = pytest.mark.e2e

TEACHER = {
    "email": "teacher.lms@test.com",
    "password": "Teacher-Pass-2024!",
    "surname": "Orlova",
    "name": "Anna",
    "birthday": "1984-03-12",
}
STUDENTS = (
    {
        "email": "student.one@test.com",
        "password": "Student-One-2024!",
        "surname": "Kuznetsov",
        "name": "Ilya",
        "birthday": "2011-02-03",
    },
    {
        "email": "student.two@test.com",
        "password": "Student-Two-2024!",
        "surname": "Volkova",
        "name": "Daria",
        "birthday": "2010-11-30",
    },
)

LESSON_TITLE = "Present Simple: проверка"
TEXT_MARKDOWN = "## Правило\n\nМы используем **Present Simple** для привычек."
SINGLE_PROMPT = "She ___ to school every day."
SINGLE_OPTIONS = "go\n*goes\ngoing"  # the second option is the correct one (o2)
SHORT_PROMPT = "Past tense of *go*?"
SHORT_ACCEPTED = "went"
SHORT_EXPLANATION = "Irregular-verb-explanation-42"
ESSAY_PROMPT = "Describe your morning routine."
ESSAY_POINTS = "5"
ESSAY_ANSWER = "I get up at seven, wash, have breakfast and walk to school with my sister."
FEEDBACK = "Хорошее эссе, но проверьте времена глаголов."
MAX_SCORE = 7  # 1 + 1 + 5
# A question bank as tutors keep them (Moodle GIFT): escapes, Cyrillic, a line that cannot be
# read (a choice question with two right answers and no weights, line 4).
GIFT_BANK = """// Банк вопросов: Present Simple
::Глагол:: She \\~ always \\~ ___ tea. {=drinks ~drink ~drinking}

::Спорный:: Два верных ответа {=да =конечно ~нет}

::Равенство:: Сколько будет 2 \\= 2? {=Верно#Да ~Неверно}

::Перевод:: «Кошка» по-английски? {=cat =a cat}
"""
GIFT_IMPORTED = 3


# --- set-up through the JSON API


def create_people(app: LiveApp) -> list[int]:
    """The admin (the seed's CLI line), the teacher and the two students; the students' ids."""
    created = app.manage(*CREATE_ADMIN)
    assert created.returncode == 0, created.stdout + created.stderr
    admin = bearer(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    response = httpx.post(app.url("/api/v1/teachers"), json=TEACHER, headers=admin, timeout=30)
    assert response.status_code == 201, response.text
    teacher = bearer(app, TEACHER["email"], TEACHER["password"])
    ids = []
    for student in STUDENTS:
        response = httpx.post(
            app.url("/api/v1/students"), json=student, headers=teacher, timeout=30
        )
        assert response.status_code == 201, response.text
        ids.append(int(response.json()["id"]))
    return ids


# --- steps


def is_post_to(path: str) -> Callable[[Request], bool]:
    def matches(request: Request) -> bool:
        return request.method == "POST" and urlsplit(request.url).path == path

    return matches


def open_new_block(page: Page, kind: str) -> None:
    """The builder's "add a block" select: the new block's empty form opens below the others."""
    assert "add=" not in page.url, page.url
    page.locator("#add-type").select_option(kind)
    page.locator("main form.add-block button[type=submit]").click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("add") == [kind])


def add_block(
    page: Page, lesson_id: int, kind: str, fields: dict[str, str], *, is_open: bool = False
) -> str:
    """Add a block through the "add a block" select (unless its form `is_open` already) and the
    new block's form; the new block's id (from the `#block-<id>` the builder returns to)."""
    builder = f"/lessons/{lesson_id}/edit"
    if not is_open:
        open_new_block(page, kind)
    new_block = page.locator("#block-new")
    expect(new_block.locator("input[name=type]")).to_have_value(kind)
    for name, value in fields.items():
        field = new_block.locator(f"#new-{name}")
        if field.get_attribute("type") == "checkbox":
            field.set_checked(value == "on")
        else:
            field.fill(value)
    with page.expect_request(is_post_to(f"/lessons/{lesson_id}/blocks")) as posted:
        new_block.locator("form.block-form button[type=submit]").click()
    response = posted.value.response()
    assert response is not None and response.status == 303, (
        f"adding a {kind} block: {response.status if response else 'no answer'}\n"
        + page.locator("main").inner_text()
    )
    page.wait_for_url(re.compile(re.escape(builder) + r"#block-(?!new)[A-Za-z0-9_-]+$"))
    expect(page.locator("main .flash")).to_be_visible()
    expect(page.locator("#block-new")).to_have_count(0)
    return urlsplit(page.url).fragment.removeprefix("block-")


def block_order(page: Page) -> list[str]:
    ids: list[str] = page.locator("main ol.blocks > li.block").evaluate_all(
        "items => items.map(item => item.id.replace(/^block-/, ''))"
    )
    return ids


def saved_answers(request: Request) -> dict[str, list[str]]:
    return parse_qs(request.post_data or "", keep_blank_values=True)


# --- the journey


def test_teacher_builds_assigns_student_submits_teacher_grades(
    live_app: LiveApp, page: Page, artifacts_dir: Path
) -> None:
    app = live_app
    check = PageChecks(artifacts_dir, "lms")
    student_ids = create_people(app)
    student = STUDENTS[0]

    # 1. The teacher logs in and opens the (empty) lesson library.
    page.goto(app.url("/auth/login"))
    log_in(page, app, TEACHER["email"], TEACHER["password"])
    follow_nav(page, app, "/lessons")
    expect(page.locator("main .lesson-list")).to_have_count(0)
    check(page, "library-empty")

    # 2. A new lesson: a title, published; the builder opens.
    page.locator('main a[href="/lessons/new"]').click()
    page.wait_for_url(app.url("/lessons/new"))
    check(page, "lesson-new")
    page.locator("#field-title").fill(LESSON_TITLE)
    page.locator("#field-status").select_option("published")
    page.locator('main form[action="/lessons/new"] button[type=submit]').click()
    page.wait_for_url(re.compile(r"/lessons/\d+/edit$"))
    lesson_id = int(path_of(page).split("/")[2])
    expect(page.locator("main .flash")).to_be_visible()
    expect(page.locator("main h1")).to_have_text(LESSON_TITLE)

    # 3. Four blocks through the "add a block" select and each new block's form.
    text_id = add_block(page, lesson_id, "text", {"markdown": TEXT_MARKDOWN})
    single_id = add_block(
        page,
        lesson_id,
        "single_choice",
        {"prompt": SINGLE_PROMPT, "points": "1", "options": SINGLE_OPTIONS},
    )
    short_id = add_block(
        page,
        lesson_id,
        "short_answer",
        {
            "prompt": SHORT_PROMPT,
            "points": "1",
            "accepted": SHORT_ACCEPTED,
            "explanation": SHORT_EXPLANATION,
        },
    )
    # The essay's form is photographed open, before it is saved.
    open_new_block(page, "essay")
    check(page, "builder-new-block")
    essay_id = add_block(
        page,
        lesson_id,
        "essay",
        {"prompt": ESSAY_PROMPT, "points": ESSAY_POINTS, "min_words": "5"},
        is_open=True,
    )
    assert block_order(page) == [text_id, single_id, short_id, essay_id]
    expect(page.locator("main ol.blocks > li.block")).to_have_count(4)
    # What was typed is what the block's editor shows back.
    expect(page.locator(f"#b-{single_id}-options")).to_have_value(SINGLE_OPTIONS)
    expect(page.locator(f"#b-{short_id}-accepted")).to_have_value(SHORT_ACCEPTED)

    # 4. The short answer moves up once: it becomes the first question.
    move_up = page.locator(
        f'#block-{short_id} form:has(input[name=direction][value=up]) button[type="submit"]'
    )
    move_up.click()
    page.wait_for_url(app.url(f"/lessons/{lesson_id}/edit#block-{short_id}"))
    expect(page.locator("main .flash")).to_be_visible()
    assert block_order(page) == [text_id, short_id, single_id, essay_id]
    # The first block cannot move up, the last cannot move down.
    expect(
        page.locator(f"#block-{text_id} form:has(input[value=up]) button[type=submit]")
    ).to_be_disabled()
    expect(
        page.locator(f"#block-{essay_id} form:has(input[value=down]) button[type=submit]")
    ).to_be_disabled()
    check(page, "builder")

    # 5. The preview is the lesson as a student gets it: no answer key, no explanation.
    page.locator(f'main a[href="/lessons/{lesson_id}/preview"]').click()
    page.wait_for_url(app.url(f"/lessons/{lesson_id}/preview"))
    main = page.locator("main")
    expect(main).to_contain_text(SINGLE_PROMPT)
    expect(main).to_contain_text(ESSAY_PROMPT)
    expect(page.locator(f'input[type=radio][name="answer.{single_id}"]')).to_have_count(3)
    html = page.content()
    assert SHORT_ACCEPTED not in html, "the preview shows the short answer's key"
    assert SHORT_EXPLANATION not in html, "the preview shows an explanation"
    assert "*goes" not in html, "the preview shows the correct option's marker"
    expect(page.locator("main .answer-key")).to_have_count(0)
    check(page, "preview")
    page.locator(f'main a[href="/lessons/{lesson_id}/edit"]').click()
    page.wait_for_url(app.url(f"/lessons/{lesson_id}/edit"))

    # 6. Assign to both students with a due date.
    page.locator(f'main .card-head a[href="/lessons/{lesson_id}/assign"]').click()
    page.wait_for_url(app.url(f"/lessons/{lesson_id}/assign"))
    due = date.today() + timedelta(days=7)
    for student_id in student_ids:
        page.locator(f"#assign-student-{student_id}").check()
    page.locator("#field-due_at").fill(f"{due.isoformat()}T18:30")
    page.locator(f'main form[action="/lessons/{lesson_id}/assign"] button[type=submit]').click()
    expect(page.locator("main .flash")).to_be_visible()
    assert path_of(page) == f"/lessons/{lesson_id}/assign"
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    for person in STUDENTS:
        expect(rows.filter(has_text=person["surname"])).to_have_count(1)
    expect(rows.locator(".badge-assigned")).to_have_count(2)
    # The due date reads as the teacher typed it (their own time zone).
    expect(rows.first).to_contain_text(due.strftime("%d.%m.%Y") + " 18:30")
    check(page, "assign")

    # The library now lists the lesson, published, with its questions and points.
    follow_nav(page, app, "/lessons")
    item = page.locator("main .lesson-list > li")
    expect(item).to_have_count(1)
    expect(item.locator(f'a[href="/lessons/{lesson_id}/edit"]').first).to_have_text(LESSON_TITLE)
    expect(item.locator(".badge-published")).to_be_visible()
    expect(item.locator(f'a[href="/lessons/{lesson_id}/assign"]')).to_be_visible()
    check(page, "library")
    log_out(page, app)

    # 7. The first student finds the lesson on the dashboard under "to do" and opens it.
    log_in(page, app, student["email"], student["password"])
    todo = page.locator('main section[aria-labelledby="todo-heading"] a.assignment-title')
    expect(todo).to_have_count(1)
    expect(todo).to_have_text(LESSON_TITLE)
    check(page, "dashboard-student-todo")
    todo.click()
    page.wait_for_url(re.compile(r"/assignments/\d+$"))
    assignment_id = int(path_of(page).split("/")[2])
    player = f"/assignments/{assignment_id}"
    expect(page.locator("main .block-text h2")).to_be_visible()  # the Markdown, rendered
    check(page, "player")

    # 8. Answers, autosaved by player.js: the short answer right (letter case does not matter),
    # the single choice wrong, the essay.
    form = page.locator("#player-form")
    save_url = f"{player}/save"

    def has_every_answer(request: Request) -> bool:
        if not is_post_to(save_url)(request):
            return False
        answers = saved_answers(request)
        return (
            answers.get(f"answer.{short_id}") == ["Went"]
            and answers.get(f"answer.{single_id}") == ["o1"]
            and answers.get(f"answer.{essay_id}") == [ESSAY_ANSWER]
        )

    with page.expect_request(has_every_answer, timeout=15_000) as autosaved:
        page.locator(f"#a-{short_id}").fill("Went")
        page.locator(f"#a-{single_id}-o1").check()
        page.locator(f"#a-{essay_id}").fill(ESSAY_ANSWER)
    saved = autosaved.value.response()
    assert saved is not None and saved.status == 204
    expect(page.locator("#save-status")).to_have_text(form.get_attribute("data-saved") or "")

    # A reload (a closed tab, a lost connection) keeps every answer.
    page.reload()
    expect(page.locator(f"#a-{short_id}")).to_have_value("Went")
    expect(page.locator(f"#a-{single_id}-o1")).to_be_checked()
    expect(page.locator(f"#a-{essay_id}")).to_have_value(ESSAY_ANSWER)

    # 9. Submit (accepting the confirmation): the automatic score, the essay waits.
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_request(is_post_to(f"{player}/submit")):
        page.locator(f'#player-form button[type=submit][formaction="{player}/submit"]').click()
    expect(page.locator("#player-form")).to_have_count(0)
    expect(page.locator("main .flash")).to_be_visible()
    assert path_of(page) == player
    summary = page.locator("main .summary")
    expect(summary.locator(".badge-submitted")).to_be_visible()
    expect(summary.locator("dd strong")).to_have_text(re.compile(rf"^\D*1\D+{MAX_SCORE}\D*$"))
    expect(page.locator(f"#block-{short_id} .outcome-correct")).to_be_visible()
    expect(page.locator(f"#block-{single_id} .outcome-incorrect")).to_be_visible()
    expect(page.locator(f"#block-{essay_id} .outcome-pending")).to_be_visible()
    expect(page.locator("main .answer-key")).to_have_count(0)  # not revealed yet
    check(page, "player-submitted")
    log_out(page, app)

    # 10. The teacher's home shows the submission waiting for a grade; grading lists it too,
    # and the teacher grades the essay.
    log_in(page, app, TEACHER["email"], TEACHER["password"])
    expect(page.locator(f'main a[href="{player}/review"]').first).to_be_visible()
    check(page, "dashboard-teacher")
    follow_nav(page, app, "/grading")
    review_link = page.locator(
        f'main section[aria-labelledby="waiting-heading"] a[href="{player}/review"]'
    )
    expect(review_link).to_have_count(1)
    check(page, "grading-list")
    review_link.click()
    page.wait_for_url(app.url(f"{player}/review"))
    expect(page.locator(f"#score-{short_id}")).to_have_value("1")
    expect(page.locator(f"#score-{single_id}")).to_have_value("0")
    expect(page.locator(f"#score-{essay_id}")).to_have_value("")
    expect(page.locator("main .question-review").filter(has_text=ESSAY_ANSWER)).to_have_count(1)
    check(page, "review")
    page.locator(f"#score-{essay_id}").fill("4")
    page.locator("#field-feedback").fill(FEEDBACK)
    page.locator("#field-show").check()
    with page.expect_request(is_post_to(f"{player}/grade")):
        page.locator(f'main form[action="{player}/grade"] button[type=submit]').click()
    expect(page.locator("main .flash")).to_be_visible()
    assert path_of(page) == f"{player}/review"
    expect(page.locator("main .summary .badge-graded")).to_be_visible()
    expect(page.locator("main .summary dd strong")).to_have_text(
        re.compile(rf"^\D*5\D+{MAX_SCORE}\D*$")
    )
    expect(page.locator(f"#score-{essay_id}")).to_have_value("4")
    expect(page.locator("#field-show")).to_be_checked()
    log_out(page, app)

    # 11. The student sees the final score, the feedback and (now revealed) the correct answers.
    log_in(page, app, student["email"], student["password"])
    done = page.locator(f'main section[aria-labelledby="done-heading"] a[href="{player}"]')
    expect(done).to_have_count(1)
    expect(page.locator('main section[aria-labelledby="todo-heading"] a')).to_have_count(0)
    done.click()
    page.wait_for_url(app.url(player))
    summary = page.locator("main .summary")
    expect(summary.locator(".badge-graded")).to_be_visible()
    expect(summary.locator("dd strong")).to_have_text(re.compile(rf"^\D*5\D+{MAX_SCORE}\D*$"))
    expect(page.locator("main .feedback .feedback-text")).to_have_text(FEEDBACK)
    expect(page.locator(f"#block-{essay_id} .outcome-partial")).to_be_visible()
    expect(page.locator(f"#block-{single_id} .answer-key")).to_contain_text("goes")
    expect(page.locator(f"#block-{short_id} .answer-key")).to_contain_text(SHORT_EXPLANATION)
    check(page, "player-graded")

    # 12. A second attempt, after a confirmation that says what happens: the first stays
    # visible with its score and feedback, and still counts on the dashboard.
    page.locator("#new-attempt").click()
    page.wait_for_url(app.url(f"{player}/attempts/new"))
    check(page, "new-attempt")
    with page.expect_request(is_post_to(f"{player}/attempts")):
        page.locator("#confirm-new-attempt").click()
    page.wait_for_url(app.url(player))
    expect(page.locator("#player-form input[name=attempt_no]")).to_have_value("2")
    expect(page.locator(f"#a-{essay_id}")).to_have_value("")
    history = page.locator("main section.attempts li")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text(FEEDBACK)
    expect(history.first.locator(".badge-counted")).to_be_visible()
    check(page, "player-second-attempt")
    history.first.locator(f'a[href="{player}/attempts/1"]').click()
    page.wait_for_url(app.url(f"{player}/attempts/1"))
    expect(page.locator("main .feedback .feedback-text")).to_have_text(FEEDBACK)
    expect(page.locator("main").filter(has_text=ESSAY_ANSWER)).to_have_count(1)
    check(page, "attempt-first")
    page.goto(app.url("/dashboard"))
    done = page.locator(f'main section[aria-labelledby="done-heading"] a[href="{player}"]')
    expect(done).to_have_count(1)
    expect(
        page.locator('main section[aria-labelledby="done-heading"] .assignment-item')
    ).to_contain_text(re.compile(rf"5\D+{MAX_SCORE}"))
    check(page, "dashboard-student-second-attempt")
    log_out(page, app)

    # 13. The teacher imports a question bank kept in Moodle's GIFT format into the lesson:
    # the preview lists what will come in and names the line it cannot read; confirming adds
    # the questions to the builder.
    log_in(page, app, TEACHER["email"], TEACHER["password"])
    page.goto(app.url(f"/lessons/{lesson_id}/edit"))
    page.locator(f'main a[href="/lessons/{lesson_id}/import"]').click()
    page.wait_for_url(app.url(f"/lessons/{lesson_id}/import"))
    check(page, "import")
    page.locator("#field-source").fill(GIFT_BANK)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(app.url(f"/lessons/{lesson_id}/import/preview"))
    expect(page.locator("main .import-question")).to_have_count(GIFT_IMPORTED)
    problems = page.locator("#import-problems .import-problem")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("4")  # the line of the unreadable question
    expect(page.locator("main")).to_contain_text("2 = 2")  # `\=` is an equals sign
    check(page, "import-preview")
    page.locator("#import-confirm button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/lessons/{lesson_id}/edit"))
    expect(page.locator("main ol.blocks > li.block")).to_have_count(4 + GIFT_IMPORTED)
    expect(page.locator("main")).to_contain_text("Сколько будет 2 = 2?")
