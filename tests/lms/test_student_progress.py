"""The teacher's student list carries each student's progress: assigned, completed, overdue and
the average score of graded work, counted from their own assignments only."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.conftest import People, login_as
from tests.lms.helpers import (
    ClientFactory,
    Json,
    assign,
    assign_one,
    create_lesson,
    iso,
    ok,
    quiz_lesson,
    student_client,
)

RIGHT = {"q1": "b", "q2": True}  # 2 + 1 points of 3
HALF = {"q1": "b", "q2": False}  # 2 of 3 points


def progress_by_student(page: Json) -> dict[int, Json]:
    return {item["id"]: item["progress"] for item in page["items"]}


async def test_student_list_shows_each_students_progress(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    busy, busy_http = await student_client(people, make_client, teacher)
    fresh = await people.student(teacher)
    idle = await people.student(teacher)
    late = await create_lesson(client, quiz_lesson(title="Late"))
    right = await create_lesson(client, quiz_lesson(title="Right"))
    half = await create_lesson(client, quiz_lesson(title="Half"))
    await assign(
        client, late["id"], student_ids=[busy.id], due_at=iso(-timedelta(days=1)), allow_past=True
    )
    await assign(client, right["id"], student_ids=[fresh.id], due_at=iso(timedelta(days=3)))
    for lesson, answers in ((right, RIGHT), (half, HALF)):
        assignment_id = await assign_one(client, lesson["id"], busy.id)
        await ok(
            await busy_http.post(
                f"/api/v1/assignments/{assignment_id}/submit", json={"answers": answers}
            )
        )
    # Another tenant's work never counts here.
    other_teacher = await people.teacher()
    other_http = make_client()
    await login_as(other_http, other_teacher.email)
    outsider = await people.student(other_teacher)
    outsider_lesson = await create_lesson(other_http, quiz_lesson())
    await assign(other_http, outsider_lesson["id"], student_ids=[outsider.id])

    page = await ok(await client.get("/api/v1/students"))
    progress = progress_by_student(page)
    assert set(progress) == {busy.id, fresh.id, idle.id}
    # 100% and 66.7% graded; the late one is open and past due.
    assert progress[busy.id] == {
        "assigned": 3,
        "completed": 2,
        "overdue": 1,
        "average_percent": "83.3",
    }
    assert progress[fresh.id] == {
        "assigned": 1,
        "completed": 0,
        "overdue": 0,
        "average_percent": None,
    }
    assert progress[idle.id] == {
        "assigned": 0,
        "completed": 0,
        "overdue": 0,
        "average_percent": None,
    }

    # The same numbers on the teacher's pages (Russian by default).
    for url in ("/students", "/dashboard"):
        html = (await client.get(url)).text
        assert "выполнено 2 из 3" in html
        assert "просрочено: 1" in html
        assert "средний балл 83.3%" in html


async def test_a_page_past_the_end_still_knows_the_total(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    """The separate count a list needs only past its end runs with the list's parameters."""
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    for title in ("One", "Two", "Three"):
        lesson = await create_lesson(client, quiz_lesson(title=title))
        await assign(client, lesson["id"], student_ids=[student.id])

    for http, url in (
        (student_http, "/api/v1/assignments?bucket=todo&limit=2&offset=10"),
        (client, f"/api/v1/assignments?student_id={student.id}&limit=2&offset=10"),
        (client, "/api/v1/assignments?status=assigned&limit=2&offset=10"),
    ):
        beyond = await ok(await http.get(url))
        assert (beyond["items"], beyond["total"], beyond["next_offset"]) == ([], 3, None)
    searched = await ok(await client.get("/api/v1/students?q=@&limit=1&offset=5"))
    assert (searched["items"], searched["total"]) == ([], 1)
