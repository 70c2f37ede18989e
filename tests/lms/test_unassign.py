"""Unassigning: a lesson is taken back from a student only while they have handed nothing in
(answers saved but not submitted go with it, and the confirmation says so); once an attempt is
submitted the assignment stays, with a translated reason, so work is never lost."""

from __future__ import annotations

import httpx

from tests.conftest import People
from tests.lms.helpers import (
    ClientFactory,
    assign_one,
    create_lesson,
    ok,
    quiz_lesson,
    student_client,
    teacher_client,
)

RIGHT = {"q1": "b", "q2": True}
HAS_WORK_RU = (
    "Ученик уже сдал работу по этому уроку: она сохраняется, поэтому урок нельзя отозвать."
    " Вместо этого измените срок."
)


async def assigned_students(client: httpx.AsyncClient, lesson_id: int) -> list[int]:
    page = await ok(await client.get(f"/api/v1/assignments?lesson_id={lesson_id}"))
    return sorted(item["student_id"] for item in page["items"])


async def test_untouched_and_started_work_can_be_taken_back(
    people: People, make_client: ClientFactory
) -> None:
    teacher, client = await teacher_client(people, make_client)
    lesson = await create_lesson(client, quiz_lesson())
    idle = await people.student(teacher)
    busy, busy_http = await student_client(people, make_client, teacher)
    idle_id = await assign_one(client, lesson["id"], idle.id)
    busy_id = await assign_one(client, lesson["id"], busy.id)
    saved = await busy_http.put(
        f"/api/v1/assignments/{busy_id}/progress", json={"answers": {"q1": "a"}}
    )
    assert saved.status_code == 200, saved.text

    for assignment_id in (idle_id, busy_id):
        gone = await client.delete(f"/api/v1/assignments/{assignment_id}")
        assert gone.status_code == 204, gone.text
    assert await assigned_students(client, lesson["id"]) == []
    assert (await busy_http.get(f"/api/v1/assignments/{busy_id}")).status_code == 404
    again = await client.delete(f"/api/v1/assignments/{idle_id}")
    assert again.status_code == 404
    # The lesson can be given again afterwards, fresh.
    assert await assign_one(client, lesson["id"], idle.id)


async def test_submitted_work_is_never_unassigned(
    people: People, make_client: ClientFactory
) -> None:
    teacher, client = await teacher_client(people, make_client)
    lesson = await create_lesson(client, quiz_lesson())
    student, student_http = await student_client(people, make_client, teacher)
    assignment_id = await assign_one(client, lesson["id"], student.id)
    submitted = await student_http.post(
        f"/api/v1/assignments/{assignment_id}/submit", json={"answers": RIGHT}
    )
    assert submitted.status_code == 200, submitted.text

    refused = await client.delete(f"/api/v1/assignments/{assignment_id}")
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == HAS_WORK_RU
    in_english = await client.delete(
        f"/api/v1/assignments/{assignment_id}", headers={"Accept-Language": "en"}
    )
    assert in_english.status_code == 409
    view = await ok(await client.get(f"/api/v1/assignments/{assignment_id}"))
    assert view["status"] == "graded" and view["attempts"]
    assert await assigned_students(client, lesson["id"]) == [student.id]


async def test_a_new_attempt_after_a_submitted_one_keeps_it_unremovable(
    people: People, make_client: ClientFactory
) -> None:
    """Back in progress, but with a submitted attempt behind it: still refused."""
    teacher, client = await teacher_client(people, make_client)
    lesson = await create_lesson(client, quiz_lesson(attempt_limit=3))
    student, student_http = await student_client(people, make_client, teacher)
    assignment_id = await assign_one(client, lesson["id"], student.id)
    url = f"/api/v1/assignments/{assignment_id}"
    await ok(await student_http.post(f"{url}/submit", json={"answers": RIGHT}))
    started = await ok(await student_http.post(f"{url}/attempts"))
    assert started["status"] == "in_progress"
    refused = await client.delete(url)
    assert (refused.status_code, refused.json()["detail"]) == (409, HAS_WORK_RU)


async def test_the_assign_page_unassigns_with_a_confirmation(
    people: People, make_client: ClientFactory
) -> None:
    teacher, client = await teacher_client(people, make_client)
    lesson = await create_lesson(client, quiz_lesson(attempt_limit=1))
    idle = await people.student(teacher, surname="Idle")
    done, done_http = await student_client(people, make_client, teacher)
    idle_id = await assign_one(client, lesson["id"], idle.id)
    done_id = await assign_one(client, lesson["id"], done.id)
    await ok(await done_http.post(f"/api/v1/assignments/{done_id}/submit", json={"answers": RIGHT}))

    url = f"/lessons/{lesson['id']}/assign"
    page = (await client.get(url)).text
    form = f'action="{url}/{idle_id}/unassign"'
    assert form in page
    tag = page[page.index(form) - 200 : page.index(form) + 400]
    assert 'data-confirm="Отозвать урок у ученика Idle' in tag
    assert "не сданные ответы будут удалены" in tag
    assert f'action="{url}/{done_id}/unassign"' not in page  # handed in: no button
    assert "Работа сдана: сохраняется" in page

    taken = await client.post(f"{url}/{idle_id}/unassign", follow_redirects=True)
    assert "Урок отозван" in taken.text
    refused = await client.post(f"{url}/{done_id}/unassign", follow_redirects=True)
    assert HAS_WORK_RU in refused.text
    assert await assigned_students(client, lesson["id"]) == [done.id]

    # Another lesson's assignment cannot be removed through this lesson's page.
    other = await create_lesson(client, quiz_lesson(title="Other"))
    other_id = await assign_one(client, other["id"], idle.id)
    wrong = await client.post(f"{url}/{other_id}/unassign")
    assert wrong.status_code == 404
    assert await assigned_students(client, other["id"]) == [idle.id]
