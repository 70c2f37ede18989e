"""The teacher's home: work waiting for a grade, due dates this week, recent submissions and the
students falling behind, from real submissions; another teacher's work never appears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from app.services.lms.overview import due_until
from tests.conftest import People, login_as
from tests.lms.helpers import (
    ClientFactory,
    Json,
    assign,
    assign_one,
    create_lesson,
    essay_lesson,
    iso,
    ok,
    quiz_lesson,
    student_client,
)

RIGHT = {"q1": "b", "q2": True}  # 3 of 3 points
WRONG = {"q1": "a", "q2": False}  # 0 of 3 points


async def submit(http: httpx.AsyncClient, assignment_id: int, answers: Json) -> Json:
    return await ok(
        await http.post(f"/api/v1/assignments/{assignment_id}/submit", json={"answers": answers})
    )


def ids(items: list[Json]) -> list[int]:
    return [item["id"] for item in items]


async def other_tenant_with_work(people: People, make_client: ClientFactory) -> dict[str, int]:
    """Another teacher whose students have one of everything: waiting, due soon, overdue, low."""
    teacher = await people.teacher()
    http = make_client()
    await login_as(http, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    essay = await create_lesson(http, essay_lesson(title="Foreign essay"))
    quiz = await create_lesson(http, quiz_lesson(title="Foreign quiz"))
    essay_id = await assign_one(http, essay["id"], student.id)
    await submit(student_http, essay_id, {"q1": True, "es": "Foreign words"})
    quiz_id = await assign_one(http, quiz["id"], student.id)
    await submit(student_http, quiz_id, WRONG)
    soon = await create_lesson(http, quiz_lesson(title="Foreign soon"))
    late = await create_lesson(http, quiz_lesson(title="Foreign late"))
    soon_ids = await assign(
        http, soon["id"], student_ids=[student.id], due_at=iso(timedelta(days=1))
    )
    await assign(
        http, late["id"], student_ids=[student.id], due_at=iso(-timedelta(days=1)), allow_past=True
    )
    return {"student": student.id, "essay": essay_id, "soon": soon_ids["assignment_ids"][0]}


async def test_each_section_shows_the_teachers_own_work(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    ann, ann_http = await student_client(people, make_client, teacher)
    bob, bob_http = await student_client(people, make_client, teacher)
    cat, cat_http = await student_client(people, make_client, teacher)
    dan = await people.student(teacher, name="Dan", surname="Dale")
    foreign = await other_tenant_with_work(people, make_client)

    essay = await create_lesson(client, essay_lesson())
    quiz = await create_lesson(client, quiz_lesson())
    ann_essay = await assign_one(client, essay["id"], ann.id)
    bob_essay = await assign_one(client, essay["id"], bob.id)
    ann_quiz = await assign_one(client, quiz["id"], ann.id)
    cat_quiz = await assign_one(client, quiz["id"], cat.id)
    # Submitted in this order: the waiting list is oldest first, the recent one newest first.
    await submit(ann_http, ann_essay, {"q1": True, "es": "My essay"})
    await submit(bob_http, bob_essay, {"q1": True, "es": "His essay"})
    await submit(ann_http, ann_quiz, RIGHT)
    await submit(cat_http, cat_quiz, WRONG)

    late = await create_lesson(client, quiz_lesson(title="Late"))
    soon = await create_lesson(client, quiz_lesson(title="Soon"))
    later = await create_lesson(client, quiz_lesson(title="Later"))
    await assign(
        client, late["id"], student_ids=[bob.id], due_at=iso(-timedelta(days=1)), allow_past=True
    )
    soon_ids = (
        await assign(client, soon["id"], student_ids=[dan.id], due_at=iso(timedelta(days=2)))
    )["assignment_ids"]
    await assign(client, later["id"], student_ids=[dan.id], due_at=iso(timedelta(days=10)))

    overview = await ok(await client.get("/api/v1/teacher/overview"))

    assert ids(overview["waiting"]) == [ann_essay, bob_essay]
    assert overview["waiting_total"] == 2
    assert [item["student"]["id"] for item in overview["waiting"]] == [ann.id, bob.id]
    assert ids(overview["due_soon"]) == soon_ids
    assert overview["due_soon"][0]["lesson_title"] == "Soon"
    assert ids(overview["recent"]) == [cat_quiz, ann_quiz, bob_essay, ann_essay]
    scores = {item["id"]: (item["status"], item["score"]) for item in overview["recent"]}
    assert scores[cat_quiz] == ("graded", "0.00")
    assert scores[ann_quiz] == ("graded", "3.00")
    assert scores[ann_essay] == ("submitted", "1.00")  # the essay's points are still to come
    # Bob has overdue work, Cat scored 0 % recently; Ann's 100 % and Dan's future work are fine.
    assert [(row["student"]["id"], row["overdue"]) for row in overview["behind"]] == [
        (bob.id, 1),
        (cat.id, 0),
    ]
    assert [row["average_percent"] for row in overview["behind"]] == [None, "0.0"]
    assert overview["behind_total"] == 2
    assert overview["low_score_percent"] == "50"

    lists = [overview[name] for name in ("waiting", "due_soon", "recent")]
    shown = {item["id"] for items in lists for item in items}
    assert foreign["essay"] not in shown and foreign["soon"] not in shown
    students = {item["student_id"] for items in lists for item in items}
    students |= {row["student"]["id"] for row in overview["behind"]}
    assert foreign["student"] not in students
    assert "Foreign" not in repr(overview)

    # The home page shows the same, each item linking to where the teacher acts.
    page = await client.get("/dashboard")
    assert page.status_code == 200, page.text
    html = page.text
    for assignment_id in (ann_essay, bob_essay):
        assert f'href="/assignments/{assignment_id}/review"' in html
    assert f'href="/lessons/{soon["id"]}/assign"' in html
    for student in (ann, bob, cat, dan):
        assert f'href="/students/{student.id}"' in html
    assert "Ждут проверки" in html and "Отстают" in html and "Сроки на этой неделе" in html
    assert "Foreign" not in html
    assert f'href="/students/{foreign["student"]}"' not in html
    assert f"/assignments/{foreign['essay']}/review" not in html


async def test_a_new_teacher_is_told_what_to_do_first(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)

    overview = await ok(await client.get("/api/v1/teacher/overview"))
    assert (overview["waiting"], overview["due_soon"], overview["recent"], overview["behind"]) == (
        [],
        [],
        [],
        [],
    )
    assert (overview["waiting_total"], overview["behind_total"]) == (0, 0)

    html = (await client.get("/dashboard")).text
    assert "Назначьте первый урок" in html
    assert "Добавьте первого ученика" in html
    assert 'href="/students/new"' in html and 'href="/lessons/new"' in html


async def test_due_this_week_ends_with_the_seventh_day_on_the_teachers_clock(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    # 20:00 UTC is already tomorrow 06:00 in Vladivostok: the week runs to the 14th's midnight.
    evening = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    vladivostok = ZoneInfo("Asia/Vladivostok")
    assert due_until(evening, vladivostok) == datetime(2026, 12, 13, 14, 0, tzinfo=UTC)
    assert due_until(evening, ZoneInfo("UTC")) == datetime(2026, 12, 13, 0, 0, tzinfo=UTC)

    teacher = await people.teacher(timezone="Asia/Vladivostok")
    await login_as(client, teacher.email)
    student = await people.student(teacher)
    now = datetime.now(UTC)
    end = due_until(now, vladivostok)
    inside = await create_lesson(client, quiz_lesson(title="Inside"))
    outside = await create_lesson(client, quiz_lesson(title="Outside"))
    await assign(
        client,
        inside["id"],
        student_ids=[student.id],
        due_at=(end - timedelta(minutes=1)).isoformat(),
    )
    await assign(client, outside["id"], student_ids=[student.id], due_at=end.isoformat())

    overview = await ok(await client.get("/api/v1/teacher/overview"))
    assert [item["lesson_title"] for item in overview["due_soon"]] == ["Inside"]
    assert overview["due_until"].replace("Z", "+00:00") == end.isoformat()


async def test_the_overview_is_for_teachers_only(
    people: People, make_client: ClientFactory
) -> None:
    teacher = await people.teacher()
    _, student_http = await student_client(people, make_client, teacher)
    refused = await student_http.get("/api/v1/teacher/overview")
    assert refused.status_code == 403
