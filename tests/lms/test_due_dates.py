"""Due dates: a past date is refused until the teacher confirms it (the assign page warns and
asks; the API wants `allow_past`); the due date changes for one student or for everyone who has
the lesson; re-assigning says who kept their earlier date, and changes it only when asked.
Dates typed on the pages are the teacher's wall time, in the teacher's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.conftest import People, login_as
from tests.lms.helpers import (
    ClientFactory,
    assign,
    assign_one,
    create_lesson,
    ok,
    quiz_lesson,
    teacher_client,
)

MOSCOW = ZoneInfo("Europe/Moscow")
PAST_RU = (
    "Этот срок уже прошёл. Выберите более позднюю дату или подтвердите, что нужна дата в прошлом."
)


def moment(days: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def wall(value: datetime) -> str:
    """`value` as a `datetime-local` input in Moscow shows it."""
    return value.astimezone(MOSCOW).strftime("%Y-%m-%dT%H:%M")


async def due_dates(client: httpx.AsyncClient, lesson_id: int) -> dict[int, datetime | None]:
    page = await ok(await client.get(f"/api/v1/assignments?lesson_id={lesson_id}"))
    return {
        item["student_id"]: datetime.fromisoformat(item["due_at"]) if item["due_at"] else None
        for item in page["items"]
    }


async def setup(
    people: People, make_client: ClientFactory, students: int = 2
) -> tuple[httpx.AsyncClient, int, list[int]]:
    """A teacher in Moscow with a quiz and `students` students."""
    teacher = await people.teacher(timezone="Europe/Moscow")
    client = make_client()
    await login_as(client, teacher.email)
    lesson = await create_lesson(client, quiz_lesson())
    ids = [(await people.student(teacher)).id for _ in range(students)]
    return client, int(lesson["id"]), ids


async def test_a_past_due_date_is_refused_unless_confirmed(
    people: People, make_client: ClientFactory
) -> None:
    client, lesson_id, (one, two) = await setup(people, make_client)
    yesterday = moment(-1)
    body: dict[str, Any] = {
        "lesson_id": lesson_id,
        "student_ids": [one],
        "due_at": yesterday.isoformat(),
    }
    refused = await client.post("/api/v1/assignments", json=body)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["field"], refused.json()["detail"]) == ("due_at", PAST_RU)
    assert await due_dates(client, lesson_id) == {}

    confirmed = await ok(
        await client.post("/api/v1/assignments", json={**body, "allow_past": True}), 201
    )
    assert confirmed["created"] == 1
    assert await due_dates(client, lesson_id) == {one: yesterday}
    # No due date and a future one need no confirmation.
    assert (await assign(client, lesson_id, student_ids=[two]))["created"] == 1


async def test_reassigning_says_who_kept_their_date_and_changes_it_when_asked(
    people: People, make_client: ClientFactory
) -> None:
    client, lesson_id, (one, two) = await setup(people, make_client)
    first_due, later_due = moment(3), moment(7)
    await assign(client, lesson_id, student_ids=[one], due_at=first_due.isoformat())

    again = await assign(client, lesson_id, student_ids=[one, two], due_at=later_due.isoformat())
    assert (again["created"], again["already_assigned"]) == (1, 1)
    assert (again["due_kept"], again["due_updated"]) == (1, 0)
    assert await due_dates(client, lesson_id) == {one: first_due, two: later_due}

    # The same date again: nobody differs.
    same = await assign(client, lesson_id, student_ids=[two], due_at=later_due.isoformat())
    assert (same["created"], same["due_kept"], same["due_updated"]) == (0, 0, 0)

    updated = await assign(
        client, lesson_id, student_ids=[one, two], due_at=later_due.isoformat(), update_due_at=True
    )
    assert (updated["created"], updated["due_updated"], updated["due_kept"]) == (0, 1, 0)
    assert await due_dates(client, lesson_id) == {one: later_due, two: later_due}


async def test_the_due_date_changes_for_one_student_or_for_everyone(
    people: People, make_client: ClientFactory
) -> None:
    client, lesson_id, (one, two) = await setup(people, make_client)
    start, five, nine = moment(2), moment(5), moment(9)
    created = await assign(client, lesson_id, student_ids=[one, two], due_at=start.isoformat())
    first_id = created["assignment_ids"][0]
    first_student = one if first_id == min(created["assignment_ids"]) else two
    other_student = two if first_student == one else one

    changed = await ok(
        await client.patch(f"/api/v1/assignments/{first_id}", json={"due_at": five.isoformat()})
    )
    assert changed["updated"] == 1
    assert await due_dates(client, lesson_id) == {first_student: five, other_student: start}

    past = await client.patch(
        f"/api/v1/assignments/{first_id}", json={"due_at": moment(-2).isoformat()}
    )
    assert (past.status_code, past.json()["field"]) == (422, "due_at")
    confirmed = await client.patch(
        f"/api/v1/assignments/{first_id}",
        json={"due_at": moment(-2).isoformat(), "allow_past": True},
    )
    assert confirmed.status_code == 200
    cleared = await ok(await client.patch(f"/api/v1/assignments/{first_id}", json={"due_at": None}))
    assert cleared == {"updated": 1, "due_at": None}
    assert (await due_dates(client, lesson_id))[first_student] is None

    everyone = await ok(
        await client.post(
            f"/api/v1/lessons/{lesson_id}/due-date", json={"due_at": nine.isoformat()}
        )
    )
    assert everyone["updated"] == 2
    assert await due_dates(client, lesson_id) == {one: nine, two: nine}
    no_offset = await client.post(
        f"/api/v1/lessons/{lesson_id}/due-date", json={"due_at": "2030-01-01T10:00:00"}
    )
    assert no_offset.status_code == 422
    missing = await client.patch("/api/v1/assignments/999999999", json={"due_at": None})
    assert missing.status_code == 404


async def test_another_teachers_assignments_look_missing(
    people: People, make_client: ClientFactory
) -> None:
    client, lesson_id, (one, _) = await setup(people, make_client)
    assignment_id = await assign_one(client, lesson_id, one)
    _, stranger = await teacher_client(people, make_client)
    for response in (
        await stranger.patch(f"/api/v1/assignments/{assignment_id}", json={"due_at": None}),
        await stranger.post(f"/api/v1/lessons/{lesson_id}/due-date", json={"due_at": None}),
        await stranger.delete(f"/api/v1/assignments/{assignment_id}"),
    ):
        assert response.status_code == 404, response.text
    assert (await due_dates(client, lesson_id)) == {one: None}


# --- the assign page


async def test_the_assign_page_warns_about_a_past_date_and_asks_to_confirm(
    people: People, make_client: ClientFactory
) -> None:
    client, lesson_id, (one, two) = await setup(people, make_client)
    url = f"/lessons/{lesson_id}/assign"
    yesterday = wall(moment(-1))
    form = {"student_ids": [str(one), str(two)], "due_at": yesterday}
    warned = await client.post(url, data=form, follow_redirects=False)
    assert warned.status_code == 422, warned.text
    html = warned.text
    assert PAST_RU in html and 'class="warning"' in html
    assert 'name="allow_past"' in html  # the confirmation box appears only now
    assert f'value="{yesterday}"' in html
    assert html.count(" checked>") >= 2  # the students chosen stay chosen
    assert await due_dates(client, lesson_id) == {}

    confirmed = await client.post(url, data={**form, "allow_past": "on"}, follow_redirects=False)
    assert confirmed.status_code == 303, confirmed.text
    dates = await due_dates(client, lesson_id)
    assert set(dates) == {one, two}
    assert all(d is not None and d < datetime.now(UTC) for d in dates.values())
    page = await client.get(url)
    assert 'name="allow_past"' not in page.text
    # Shown in the teacher's zone, as typed.
    assert datetime.fromisoformat(yesterday).strftime("%d.%m.%Y %H:%M") in page.text


async def test_the_assign_page_changes_due_dates_and_reports_kept_ones(
    people: People, make_client: ClientFactory
) -> None:
    client, lesson_id, (one, two) = await setup(people, make_client)
    url = f"/lessons/{lesson_id}/assign"
    first = wall(moment(3))
    assert (
        await client.post(url, data={"student_ids": [str(one)], "due_at": first})
    ).status_code == 303
    later = wall(moment(6))
    again = await client.post(
        url, data={"student_ids": [str(one), str(two)], "due_at": later}, follow_redirects=True
    )
    assert "У 1 из них остаётся прежний срок" in again.text
    dates = await due_dates(client, lesson_id)
    assert dates[one] != dates[two]

    page = await client.get(url)
    assert f'action="/lessons/{lesson_id}/assign/due-date"' in page.text
    ids = await ok(await client.get(f"/api/v1/assignments?lesson_id={lesson_id}"))
    by_student = {item["student_id"]: item["id"] for item in ids["items"]}

    one_only = wall(moment(10))
    changed = await client.post(
        f"{url}/due-date",
        data={"target": str(by_student[one]), "due_at": one_only},
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    dates = await due_dates(client, lesson_id)
    assert wall(dates[one] or moment(0)) == one_only
    assert wall(dates[two] or moment(0)) == later

    for_all = wall(moment(12))
    everyone = await client.post(
        f"{url}/due-date", data={"target": "all", "due_at": for_all}, follow_redirects=True
    )
    assert "Срок изменён для всех (2)" in everyone.text
    assert {wall(d or moment(0)) for d in (await due_dates(client, lesson_id)).values()} == {
        for_all
    }

    # A past date here is a warning with a confirmation too, at this form's own field.
    past = await client.post(
        f"{url}/due-date",
        data={"target": "all", "due_at": wall(moment(-3))},
        follow_redirects=False,
    )
    assert past.status_code == 422
    assert 'id="change_due_at-error"' in past.text and 'id="change-allow_past"' in past.text
    confirmed = await client.post(
        f"{url}/due-date",
        data={"target": "all", "due_at": wall(moment(-3)), "allow_past": "on"},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    cleared = await client.post(
        f"{url}/due-date", data={"target": "all", "due_at": ""}, follow_redirects=False
    )
    assert cleared.status_code == 303
    assert set((await due_dates(client, lesson_id)).values()) == {None}
    bad = await client.post(f"{url}/due-date", data={"target": "x", "due_at": ""})
    assert bad.status_code == 422
