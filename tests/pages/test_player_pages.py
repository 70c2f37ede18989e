"""The student's lesson player, driven as a browser: the form, autosave, submit, new attempts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.core.i18n import gettext_for
from tests.conftest import People
from tests.lms.helpers import MATCH_PAIRS, ORDER_ITEMS, SECRET_STRINGS, full_lesson, quiz_lesson
from tests.pages.helpers import (
    answer_fields,
    api,
    browser_login,
    every_answer,
    lesson_for_student,
    named,
    post_form,
)


def ru(message: str) -> str:
    return gettext_for("ru", message)


async def player(client: httpx.AsyncClient, assignment_id: int) -> str:
    page = await client.get(f"/assignments/{assignment_id}")
    assert page.status_code == 200, page.text
    return page.text


async def student_view(client: httpx.AsyncClient, assignment_id: int) -> dict[str, Any]:
    view: dict[str, Any] = await api(client, "GET", f"/api/v1/assignments/{assignment_id}")
    return view


async def test_the_form_round_trips_every_question_type(people: People, make_client: Any) -> None:
    _, student, assignment_id = await lesson_for_student(people, make_client, full_lesson())
    html = await player(student, assignment_id)

    saved = await post_form(student, f"/assignments/{assignment_id}/save", every_answer(html))
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/assignments/{assignment_id}"

    view = await student_view(student, assignment_id)
    matching = next(block for block in view["blocks"] if block["id"] == "mat")
    right_ids = {item["text"]: item["id"] for item in matching["right"]}
    assert view["answers"] == {
        "sc": "o4",
        "mc": ["m2", "m5"],
        "tf": False,
        "sa": "Paris",
        "num": "3,5",
        "mat": {pair_id: right_ids[right] for pair_id, _, right in MATCH_PAIRS[:3]},
        "ord": [item_id for item_id, _ in reversed(ORDER_ITEMS)],
        "fb": {"g1": "am"},
        "es": "My day",
    }

    # A reload shows the saved answers in the inputs: no work is lost.
    page = await student.get(f"/assignments/{assignment_id}")
    assert ru("Saved") in page.text  # the flash after the redirect
    shown = set(answer_fields(page.text))
    expected = set(every_answer(html)) - {("answer.fb.g2", " ")} | {("answer.fb.g2", "")}
    assert expected <= shown


async def test_blank_inputs_clear_answers_and_positions_sort_the_items(
    people: People, make_client: Any
) -> None:
    _, student, assignment_id = await lesson_for_student(people, make_client, full_lesson())
    html = await player(student, assignment_id)
    await post_form(student, f"/assignments/{assignment_id}/save", every_answer(html))

    data = [
        ("answer.sa", "  "),
        ("answer.num", ""),
        ("answer.ord.s3", "1"),
        ("answer.ord.s1", "not a number"),
        ("answer.ord.s4", "2"),
        ("answer.sc", "no-such-option"),
        ("answer.mat.p1", "~999"),
    ]
    saved = await post_form(student, f"/assignments/{assignment_id}/save", data)
    assert saved.status_code == 303
    answers = (await student_view(student, assignment_id))["answers"]
    assert answers["sa"] is None
    assert answers["num"] is None
    assert answers["ord"] == ["s3", "s4"]
    assert answers["sc"] is None
    assert answers["mc"] is None  # no box ticked
    assert answers["mat"] is None
    assert answers["es"] is None


async def test_the_player_never_shows_answer_keys_before_grading(
    people: People, make_client: Any
) -> None:
    teacher, student, assignment_id = await lesson_for_student(people, make_client, full_lesson())
    html = await player(student, assignment_id)
    for secret in SECRET_STRINGS:
        assert secret not in html
    assert "answer-key" not in html
    assert not any(control.checked for control in named(html, "answer."))
    # Matching: a right item's id would pair it with its left item; the page sends positions.
    pair_ids = {pair_id for pair_id, _, _ in MATCH_PAIRS}
    for select in named(html, "answer.mat."):
        assert [value for value, _, _ in select.options][1:] == [
            f"~{index}" for index in range(len(MATCH_PAIRS))
        ]
        assert not {value for value, _, _ in select.options} & pair_ids
    # Every question is a labelled group with its own inputs.
    assert html.count("<fieldset") == 9
    assert 'inputmode="decimal"' in html

    # Submitted and graded without showing the answers: still no keys.
    page_data = every_answer(html)
    assert (
        await post_form(student, f"/assignments/{assignment_id}/submit", page_data)
    ).status_code == 303
    graded = await post_form(
        teacher, f"/assignments/{assignment_id}/grade", [("score.es", "3"), ("feedback", "Ok")]
    )
    assert graded.status_code == 303
    html = await player(student, assignment_id)
    assert "Ok" in html
    for secret in SECRET_STRINGS:
        assert secret not in html
    assert "answer-key" not in html


async def test_autosave_from_the_script_answers_204(people: People, make_client: Any) -> None:
    _, student, assignment_id = await lesson_for_student(people, make_client, full_lesson())
    response = await post_form(
        student,
        f"/assignments/{assignment_id}/save",
        [("answer.sa", "Paris"), ("time_spent_seconds", "30")],
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 204, response.text
    view = await student_view(student, assignment_id)
    assert view["answers"]["sa"] == "Paris"
    assert view["status"] == "in_progress"
    assert view["time_spent_seconds"] == 30
    html = await player(student, assignment_id)
    assert re.search(r'src="/static/player.js\?v=\d+" defer', html)
    assert 'data-saved="Сохранено"' in html
    assert 'role="status" aria-live="polite"' in html


async def test_submitting_twice_counts_one_attempt(people: People, make_client: Any) -> None:
    _, student, assignment_id = await lesson_for_student(people, make_client, full_lesson())
    html = await player(student, assignment_id)
    data = every_answer(html)
    assert ("attempt_no", "1") in data
    first = await post_form(student, f"/assignments/{assignment_id}/submit", data)
    second = await post_form(student, f"/assignments/{assignment_id}/submit", data)
    assert first.status_code == second.status_code == 303
    view = await student_view(student, assignment_id)
    assert view["attempts_used"] == 1
    assert view["status"] == "submitted"  # the essay waits for the teacher
    # sc 2 + mc 2 + sa 1 + matching 3 of 8 pairs (0.38) + one gap of two (0.5)
    assert view["score"] == "5.88"

    # After submitting, the page shows the result and no longer offers a form.
    html = await player(student, assignment_id)
    assert 'id="player-form"' not in html
    assert "outcome-correct" in html and "outcome-pending" in html

    # Saving now is a conflict, shown as a message and not as an error page.
    late = await post_form(student, f"/assignments/{assignment_id}/save", [("answer.sa", "x")])
    assert late.status_code == 303
    assert (
        ru("This attempt is already submitted")
        in (await student.get(late.headers["location"])).text
    )
    by_script = await post_form(
        student,
        f"/assignments/{assignment_id}/save",
        [("answer.sa", "x")],
        headers={"X-Requested-With": "fetch"},
    )
    assert by_script.status_code == 409


async def test_a_new_attempt_when_the_lesson_allows_it(people: People, make_client: Any) -> None:
    _, student, assignment_id = await lesson_for_student(
        people, make_client, quiz_lesson(attempt_limit=2)
    )
    url = f"/assignments/{assignment_id}"
    data = [("attempt_no", "1"), ("answer.q1", "a"), ("answer.q2", "true")]
    await post_form(student, f"{url}/submit", data)
    html = await player(student, assignment_id)
    # The player links to a page that asks first and says how many attempts remain.
    assert f'href="{url}/attempts/new"' in html
    confirm = await student.get(f"{url}/attempts/new")
    assert confirm.status_code == 200
    assert f'action="{url}/attempts"' in confirm.text
    assert ru("This will be your last attempt.") in confirm.text
    started = await post_form(student, f"{url}/attempts", [])
    assert started.status_code == 303
    view = await student_view(student, assignment_id)
    assert view["status"] == "in_progress"
    assert view["attempt_no"] == 2
    assert view["answers"] == {}

    await post_form(student, f"{url}/submit", [("attempt_no", "2"), ("answer.q1", "b")])
    html = await player(student, assignment_id)
    assert f'href="{url}/attempts/new"' not in html  # both attempts used
    # Both attempts stay in the history, each with its own page.
    assert f'href="{url}/attempts/1"' in html and f'href="{url}/attempts/2"' in html
    no_more = await student.get(f"{url}/attempts/new")
    assert no_more.status_code == 303 and no_more.headers["location"] == url
    refused = await post_form(student, f"{url}/attempts", [])
    assert refused.status_code == 303
    assert ru("No attempts left") in (await student.get(url)).text


async def test_due_date_time_limit_and_the_dashboard(people: People, make_client: Any) -> None:
    due = datetime.now(UTC) - timedelta(days=1)
    _, student, assignment_id = await lesson_for_student(
        people,
        make_client,
        quiz_lesson(time_limit_minutes=30),
        due_at=due.isoformat(),
        allow_past=True,
    )
    html = await player(student, assignment_id)
    assert "badge-overdue" in html
    assert ru("{minutes} min").format(minutes=30) in html

    dashboard = (await student.get("/dashboard")).text
    assert 'id="overdue-heading"' in dashboard
    assert f'href="/assignments/{assignment_id}"' in dashboard

    await post_form(student, f"/assignments/{assignment_id}/submit", [("answer.q1", "b")])
    dashboard = (await student.get("/dashboard")).text
    assert 'id="overdue-heading"' not in dashboard
    assert ru("{points} of {max} points").format(points="2", max="3") in dashboard


async def test_other_people_cannot_open_the_player(people: People, make_client: Any) -> None:
    teacher, _, assignment_id = await lesson_for_student(people, make_client, quiz_lesson())
    assert (await teacher.get(f"/assignments/{assignment_id}")).status_code == 403
    other_teacher = await people.teacher()
    stranger = await people.student(other_teacher)
    browser = make_client()
    await browser_login(browser, stranger.email)
    assert (await browser.get(f"/assignments/{assignment_id}")).status_code == 404
    refused = await post_form(browser, f"/assignments/{assignment_id}/save", [("answer.q1", "b")])
    assert refused.status_code == 404
