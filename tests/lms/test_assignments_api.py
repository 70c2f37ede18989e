"""Assignments over the API: bulk assigning, the student's lists, autosave, idempotent submit,
attempts and time limits, grading by hand, lesson versions, and the submitted/graded events."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.core.database import Database
from app.core.errors import Conflict
from app.services.lms import events
from tests.conftest import People, login_as
from tests.lms.helpers import (
    ClientFactory,
    Json,
    act_as_teacher,
    assign,
    assign_one,
    create_lesson,
    essay_lesson,
    iso,
    ok,
    quiz_lesson,
    student_client,
)

RIGHT = {"q1": "b", "q2": True}  # the quiz's correct answers: 2 + 1 points


async def attempt_rows(
    connection: AsyncConnection, teacher_id: int, assignment_id: int
) -> list[tuple[int, Decimal]]:
    await act_as_teacher(connection, teacher_id)
    rows = await connection.execute(
        text(
            "SELECT attempt_no, score FROM assignment_attempts"
            " WHERE teacher_id = :t AND assignment_id = :a ORDER BY attempt_no"
        ),
        {"t": teacher_id, "a": assignment_id},
    )
    return [(row[0], row[1]) for row in rows.all()]


async def bucket(client: httpx.AsyncClient, name: str) -> list[Json]:
    page = await ok(await client.get(f"/api/v1/assignments?bucket={name}"))
    assert page["total"] == len(page["items"])
    items: list[Json] = page["items"]
    return items


# --- assigning


async def test_bulk_assign_thirty_students_in_one_request(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    students = [await people.student(teacher) for _ in range(30)]
    await login_as(client, teacher.email)
    lesson = await create_lesson(client, quiz_lesson())
    ids = [student.id for student in students]

    first = await assign(client, lesson["id"], student_ids=ids, due_at=iso(timedelta(days=7)))
    assert (first["created"], first["already_assigned"]) == (30, 0)
    assert len(set(first["assignment_ids"])) == 30
    again = await assign(client, lesson["id"], student_ids=ids)
    assert again == {
        "created": 0,
        "already_assigned": 30,
        "assignment_ids": [],
        "due_updated": 0,
        "due_kept": 30,  # assigned again without a date: everyone keeps theirs
    }

    page = await ok(await client.get(f"/api/v1/assignments?lesson_id={lesson['id']}&limit=200"))
    assert page["total"] == 30
    assert sorted(item["student_id"] for item in page["items"]) == sorted(ids)
    assert {item["status"] for item in page["items"]} == {"assigned"}
    assert sorted(item["id"] for item in page["items"]) == sorted(first["assignment_ids"])

    newcomer = await people.student(teacher)
    mixed = await assign(client, lesson["id"], student_ids=[*ids[:5], newcomer.id])
    assert (mixed["created"], mixed["already_assigned"]) == (1, 5)


async def test_assign_through_groups_gives_each_student_one_assignment(
    client: httpx.AsyncClient, people: People, connection: AsyncConnection
) -> None:
    teacher = await people.teacher()
    s1, s2, s3, s4 = [await people.student(teacher) for _ in range(4)]
    await login_as(client, teacher.email)
    g1 = await ok(
        await client.post("/api/v1/groups", json={"name": "A", "student_ids": [s1.id, s2.id]}), 201
    )
    g2 = await ok(
        await client.post("/api/v1/groups", json={"name": "B", "student_ids": [s2.id, s3.id]}), 201
    )
    lesson = await create_lesson(client, quiz_lesson())

    result = await assign(client, lesson["id"], group_ids=[g1["id"], g2["id"]], student_ids=[s1.id])
    assert (result["created"], result["already_assigned"]) == (3, 0)
    page = await ok(await client.get(f"/api/v1/assignments?lesson_id={lesson['id']}"))
    assert sorted(item["student_id"] for item in page["items"]) == sorted([s1.id, s2.id, s3.id])
    assert s4.id not in [item["student_id"] for item in page["items"]]

    await act_as_teacher(connection, teacher.id)
    rows = await connection.execute(
        text("SELECT student_id, group_id FROM lesson_assignments WHERE teacher_id = :t"),
        {"t": teacher.id},
    )
    by_student: dict[int, int | None] = {row[0]: row[1] for row in rows.all()}
    assert by_student[s1.id] is None  # chosen directly as well: not tied to a group
    assert by_student[s2.id] in (g1["id"], g2["id"])
    assert by_student[s3.id] == g2["id"]


async def test_unknown_and_other_teachers_students_are_named_and_nothing_is_assigned(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    other_teacher = await people.teacher()
    mine = await people.student(teacher)
    theirs = await people.student(other_teacher)
    await login_as(client, teacher.email)
    lesson = await create_lesson(client, quiz_lesson())

    response = await client.post(
        "/api/v1/assignments",
        json={"lesson_id": lesson["id"], "student_ids": [mine.id, theirs.id, 999_999_999]},
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == "student_ids"
    assert str(theirs.id) in body["detail"] and "999999999" in body["detail"]
    assert str(mine.id) not in body["detail"].replace("999999999", "")
    assert (await ok(await client.get("/api/v1/assignments")))["total"] == 0

    groups = await client.post(
        "/api/v1/assignments", json={"lesson_id": lesson["id"], "group_ids": [999_999_999]}
    )
    assert groups.status_code == 422
    assert groups.json()["field"] == "group_ids"
    nobody = await client.post("/api/v1/assignments", json={"lesson_id": lesson["id"]})
    assert nobody.status_code == 422
    naive = await client.post(
        "/api/v1/assignments",
        json={"lesson_id": lesson["id"], "student_ids": [mine.id], "due_at": "2030-01-01T10:00:00"},
    )
    assert naive.status_code == 422
    assert naive.json()["field"] == "due_at"
    missing = await client.post(
        "/api/v1/assignments", json={"lesson_id": 999_999_999, "student_ids": [mine.id]}
    )
    assert missing.status_code == 404
    assert (await ok(await client.get("/api/v1/assignments")))["total"] == 0


# --- the student's lists


async def test_student_lists_todo_done_and_overdue(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    classmate = await people.student(teacher)
    future = await create_lesson(client, quiz_lesson(title="Future"))
    past = await create_lesson(client, quiz_lesson(title="Past"))
    undated = await create_lesson(client, quiz_lesson(title="Undated"))
    finished = await create_lesson(client, quiz_lesson(title="Finished"))
    await assign(client, future["id"], student_ids=[student.id], due_at=iso(timedelta(days=2)))
    await assign(
        client,
        past["id"],
        student_ids=[student.id, classmate.id],
        due_at=iso(-timedelta(days=1)),
        allow_past=True,
    )
    await assign(client, undated["id"], student_ids=[student.id])
    done_id = await assign_one(client, finished["id"], student.id)
    await ok(
        await student_http.post(f"/api/v1/assignments/{done_id}/submit", json={"answers": RIGHT})
    )

    todo = await bucket(student_http, "todo")
    assert [item["lesson_title"] for item in todo] == ["Past", "Future", "Undated"]
    assert [item["overdue"] for item in todo] == [True, False, False]
    overdue = await bucket(student_http, "overdue")
    assert [item["lesson_title"] for item in overdue] == ["Past"]
    done = await bucket(student_http, "done")
    assert [(item["lesson_title"], item["status"]) for item in done] == [("Finished", "graded")]
    everything = await ok(await student_http.get("/api/v1/assignments"))
    assert everything["total"] == 4
    assert {item["student_id"] for item in everything["items"]} == {student.id}
    # The teacher's filters.
    by_student = await ok(await client.get(f"/api/v1/assignments?student_id={classmate.id}"))
    assert [item["lesson_title"] for item in by_student["items"]] == ["Past"]
    graded = await ok(await client.get("/api/v1/assignments?status=graded"))
    assert [item["id"] for item in graded["items"]] == [done_id]
    assert (await client.get("/api/v1/assignments?bucket=later")).status_code == 422


# --- autosave and submit


async def test_progress_autosave_merges_answers_and_drops_unknown_blocks(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    lesson = await create_lesson(client, quiz_lesson())
    assignment_id = await assign_one(client, lesson["id"], student.id)
    url = f"/api/v1/assignments/{assignment_id}/progress"

    first = await ok(
        await student_http.put(
            url,
            json={
                "answers": {"q1": "a", "ghost": 1, "intro": "not a question"},
                "blocks_viewed": ["intro", "ghost"],
                "time_spent_seconds": 30,
            },
        )
    )
    assert first["answers"] == {"q1": "a"}
    assert (first["status"], first["blocks_viewed"], first["block_count"]) == ("in_progress", 1, 3)
    assert first["started_at"] is not None
    assert first["time_spent_seconds"] == 30

    second = await ok(
        await student_http.put(
            url,
            json={
                "answers": {"q2": False},
                "blocks_viewed": ["q1", "intro"],
                "time_spent_seconds": 15,
            },
        )
    )
    assert second["answers"] == {"q1": "a", "q2": False}
    assert (second["blocks_viewed"], second["time_spent_seconds"]) == (2, 45)
    assert second["started_at"] == first["started_at"]
    third = await ok(await student_http.put(url, json={"answers": {"q1": "b"}}))
    assert third["answers"] == {"q1": "b", "q2": False}

    teacher_view = await ok(await client.get(f"/api/v1/assignments/{assignment_id}"))
    assert teacher_view["answers"] == {"q1": "b", "q2": False}
    assert teacher_view["status"] == "in_progress"
    for bad in (
        {"time_spent_seconds": 3601},
        {"answers": {"q1": "x" * (300 * 1024)}},
        {"answers": ["q1", "a"]},
        {"answers": {"q1": "a"}, "score": 100},
    ):
        assert (await student_http.put(url, json=bad)).status_code == 422, bad
    submit_url = f"/api/v1/assignments/{assignment_id}/submit"
    assert (await student_http.post(submit_url, json={"attempt_no": 0})).status_code == 422
    assert (await ok(await student_http.get(f"/api/v1/assignments/{assignment_id}")))[
        "time_spent_seconds"
    ] == 45


async def test_submit_is_idempotent(
    client: httpx.AsyncClient,
    people: People,
    make_client: ClientFactory,
    connection: AsyncConnection,
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    lesson = await create_lesson(client, quiz_lesson())
    assignment_id = await assign_one(client, lesson["id"], student.id)
    url = f"/api/v1/assignments/{assignment_id}/submit"

    first = await ok(
        await student_http.post(url, json={"answers": RIGHT, "time_spent_seconds": 60})
    )
    assert (first["status"], first["attempts_used"], first["attempt_no"]) == ("graded", 1, 1)
    assert Decimal(first["score"]) == 3
    assert [(r["block_id"], r["outcome"]) for r in first["results"]] == [
        ("q1", "correct"),
        ("q2", "correct"),
    ]

    retry = await ok(await student_http.post(url, json={}))
    same_attempt = await ok(
        await student_http.post(url, json={"attempt_no": 1, "answers": {"q1": "a"}})
    )
    assert retry == first
    assert same_attempt == first
    future = await student_http.post(url, json={"attempt_no": 2})
    assert future.status_code == 409
    assert await attempt_rows(connection, teacher.id, assignment_id) == [(1, Decimal("3.00"))]

    teacher_view = await ok(await client.get(f"/api/v1/assignments/{assignment_id}"))
    assert teacher_view["attempts_used"] == 1
    assert [attempt["attempt_no"] for attempt in teacher_view["attempts"]] == [1]
    assert teacher_view["time_spent_seconds"] == 60
    late_save = await student_http.put(
        f"/api/v1/assignments/{assignment_id}/progress", json={"answers": {"q1": "a"}}
    )
    assert late_save.status_code == 409


async def test_submit_with_saved_answers_only_and_nothing_answered(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    lesson = await create_lesson(client, quiz_lesson())
    blank_id = await assign_one(client, lesson["id"], student.id)
    blank = await ok(await student_http.post(f"/api/v1/assignments/{blank_id}/submit", json={}))
    assert Decimal(blank["score"]) == 0
    assert {r["outcome"] for r in blank["results"]} == {"unanswered"}
    assert blank["started_at"] is not None


async def test_new_attempts_only_up_to_the_limit(
    client: httpx.AsyncClient,
    people: People,
    make_client: ClientFactory,
    connection: AsyncConnection,
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    lesson = await create_lesson(client, quiz_lesson(attempt_limit=2))
    assignment_id = await assign_one(client, lesson["id"], student.id)
    base = f"/api/v1/assignments/{assignment_id}"

    wrong = await ok(
        await student_http.post(f"{base}/submit", json={"answers": {"q1": "a", "q2": False}})
    )
    assert Decimal(wrong["score"]) == 0
    second = await ok(await student_http.post(f"{base}/attempts"))
    assert (second["status"], second["attempt_no"], second["attempts_used"]) == (
        "in_progress",
        2,
        1,
    )
    assert second["answers"] == {}
    again = await ok(await student_http.post(f"{base}/attempts"))  # already open: no change
    assert (again["attempt_no"], again["attempts_used"]) == (2, 1)

    right = await ok(await student_http.post(f"{base}/submit", json={"answers": RIGHT}))
    assert (right["attempts_used"], Decimal(right["score"])) == (2, 3)
    refused = await student_http.post(f"{base}/attempts")
    assert refused.status_code == 409
    assert (await ok(await student_http.get(base)))["attempts_used"] == 2
    assert await attempt_rows(connection, teacher.id, assignment_id) == [
        (1, Decimal("0.00")),
        (2, Decimal("3.00")),
    ]
    history = (await ok(await client.get(base)))["attempts"]
    assert [(a["attempt_no"], Decimal(a["score"])) for a in history] == [(1, 0), (2, 3)]


async def test_time_limit_stops_autosave_and_late_answers(
    client: httpx.AsyncClient,
    people: People,
    make_client: ClientFactory,
    connection: AsyncConnection,
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    lesson = await create_lesson(client, quiz_lesson(time_limit_minutes=5))
    assignment_id = await assign_one(client, lesson["id"], student.id)
    base = f"/api/v1/assignments/{assignment_id}"

    started = await ok(await student_http.put(f"{base}/progress", json={"answers": {"q1": "a"}}))
    assert started["time_limit_minutes"] == 5
    await ok(await student_http.put(f"{base}/progress", json={"answers": {"q2": True}}))

    await act_as_teacher(connection, teacher.id)
    moved = await connection.execute(
        text(
            "UPDATE lesson_assignments SET started_at = now() - interval '6 minutes'"
            " WHERE teacher_id = :t AND id = :a"
        ),
        {"t": teacher.id, "a": assignment_id},
    )
    assert moved.rowcount == 1

    late = await student_http.put(f"{base}/progress", json={"answers": {"q1": "b"}})
    assert late.status_code == 409
    submitted = await ok(await student_http.post(f"{base}/submit", json={"answers": {"q1": "b"}}))
    # Only what was saved in time counts: q1 stays "a" (wrong), q2 True (right).
    assert submitted["answers"] == {"q1": "a", "q2": True}
    assert Decimal(submitted["score"]) == 1


# --- grading


async def test_grading_before_submission_is_a_conflict(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    student = await people.student(teacher)
    await login_as(client, teacher.email)
    lesson = await create_lesson(client, essay_lesson())
    assignment_id = await assign_one(client, lesson["id"], student.id)
    response = await client.post(
        f"/api/v1/assignments/{assignment_id}/grade", json={"scores": {"es": 3}}
    )
    assert response.status_code == 409
    view = await ok(await client.get(f"/api/v1/assignments/{assignment_id}"))
    assert (view["status"], view["score"], view["score_overridden_by"]) == ("assigned", None, None)


async def test_grading_essays_and_overrides_are_recorded(
    client: httpx.AsyncClient,
    people: People,
    make_client: ClientFactory,
    connection: AsyncConnection,
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    lesson = await create_lesson(client, essay_lesson())
    assignment_id = await assign_one(client, lesson["id"], student.id)
    base = f"/api/v1/assignments/{assignment_id}"

    submitted = await ok(
        await student_http.post(f"{base}/submit", json={"answers": {"q1": True, "es": "My day"}})
    )
    assert (submitted["status"], Decimal(submitted["score"])) == ("submitted", 1)
    assert {r["block_id"]: r["outcome"] for r in submitted["results"]} == {
        "q1": "correct",
        "es": "pending",
    }
    # Feedback alone does not finish grading while the essay is pending.
    note = await ok(await client.post(f"{base}/grade", json={"feedback": "Reading it"}))
    assert (note["status"], note["graded_at"]) == ("submitted", None)
    assert (await ok(await student_http.get(base)))["feedback"] is None

    too_many = await client.post(f"{base}/grade", json={"scores": {"es": 5.5}})
    assert too_many.status_code == 422
    assert too_many.json()["field"] == "scores.es"
    unknown = await client.post(f"{base}/grade", json={"scores": {"ghost": 1}})
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "scores.ghost"
    negative = await client.post(f"{base}/grade", json={"scores": {"es": -1}})
    assert negative.status_code == 422
    assert (await ok(await client.get(base)))["status"] == "submitted"

    graded = await ok(
        await client.post(
            f"{base}/grade", json={"scores": {"es": 4, "q1": 0.5}, "feedback": "Good work"}
        )
    )
    assert graded["status"] == "graded"
    assert Decimal(graded["score"]) == Decimal("4.5")
    assert graded["score_overridden_by"] == teacher.id
    assert graded["score_overridden_at"] is not None
    assert graded["graded_at"] is not None
    results = {r["block_id"]: r for r in graded["results"]}
    assert (results["es"]["outcome"], Decimal(results["es"]["points"])) == ("partial", 4)
    assert (results["q1"]["outcome"], Decimal(results["q1"]["points"])) == (
        "partial",
        Decimal("0.5"),
    )
    assert results["es"]["overridden_by"] == teacher.id
    assert Decimal(graded["attempts"][0]["score"]) == Decimal("4.5")
    assert Decimal(graded["attempts"][0]["auto_score"]) == 1

    await act_as_teacher(connection, teacher.id)
    overrides = await connection.execute(
        text(
            "SELECT block_id, old_points, new_points, changed_by, attempt_no FROM score_overrides"
            " WHERE teacher_id = :t AND assignment_id = :a ORDER BY block_id"
        ),
        {"t": teacher.id, "a": assignment_id},
    )
    assert [tuple(row) for row in overrides.all()] == [
        ("es", None, Decimal("4.00"), teacher.id, 1),
        ("q1", Decimal("1"), Decimal("0.50"), teacher.id, 1),
    ]
    seen = await ok(await student_http.get(base))
    assert (seen["status"], seen["feedback"], Decimal(seen["score"])) == (
        "graded",
        "Good work",
        Decimal("4.5"),
    )


async def test_editing_a_lesson_keeps_submitted_work_on_its_version(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    lesson = await create_lesson(client, quiz_lesson())
    assignment_id = await assign_one(client, lesson["id"], student.id)
    base = f"/api/v1/assignments/{assignment_id}"
    await ok(await student_http.post(f"{base}/submit", json={"answers": RIGHT}))

    v2_content: list[Any] = [dict(block) for block in lesson["content"]]
    v2_content[1] = {**v2_content[1], "correct": "a", "points": "10"}
    edited = await ok(
        await client.patch(f"/api/v1/lessons/{lesson['id']}", json={"content": v2_content})
    )
    assert edited["version"] == 2

    view = await ok(await client.get(base))
    assert view["lesson_version"] == 1
    assert view["content"] == lesson["content"]
    assert (Decimal(view["score"]), Decimal(view["max_score"])) == (3, 3)
    student_view = await ok(await student_http.get(base))
    assert Decimal(student_view["score"]) == 3
    assert Decimal(student_view["blocks"][1]["points"]) == 2

    # Grading by hand still works against version 1 (2 points at most for q1).
    refused = await client.post(f"{base}/grade", json={"scores": {"q1": 5}})
    assert refused.status_code == 422
    regraded = await ok(await client.post(f"{base}/grade", json={"scores": {"q1": 1}}))
    assert (regraded["lesson_version"], Decimal(regraded["score"])) == (1, 2)

    # A new attempt (or a new student) answers the current version.
    fresh = await ok(await student_http.post(f"{base}/attempts"))
    assert Decimal(fresh["blocks"][1]["points"]) == 10
    assert Decimal(fresh["max_score"]) == 11
    # The teacher still reviews the submitted attempt, on the version it answered.
    assert (await ok(await client.get(base)))["lesson_version"] == 1
    newcomer, newcomer_http = await student_client(people, make_client, teacher)
    new_id = await assign_one(client, lesson["id"], newcomer.id)
    new_view = await ok(await newcomer_http.get(f"/api/v1/assignments/{new_id}"))
    assert Decimal(new_view["max_score"]) == 11


# --- events


async def test_events_fire_inside_the_transaction(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory, database: Database
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    quiz = await create_lesson(client, quiz_lesson())
    essay = await create_lesson(client, essay_lesson())
    quiz_id = await assign_one(client, quiz["id"], student.id)
    essay_id = await assign_one(client, essay["id"], student.id)
    received: list[tuple[str, int, Decimal | None, str, bool]] = []

    async def record(session: AsyncSession, event: events.AssignmentEvent) -> None:
        # The change is already visible to the handler's session: same transaction.
        status = await session.scalar(
            text("SELECT status FROM lesson_assignments WHERE teacher_id = :t AND id = :a"),
            {"t": event.teacher_id, "a": event.assignment_id},
        )
        received.append(
            (event.kind, event.assignment_id, event.score, str(status), session.in_transaction())
        )
        assert (event.student_id, event.teacher_id) == (student.id, teacher.id)

    database.events.subscribe(events.AssignmentEvent, record)
    try:
        await ok(
            await student_http.post(
                f"/api/v1/assignments/{quiz_id}/submit", json={"answers": RIGHT}
            )
        )
        assert received == [
            ("submitted", quiz_id, Decimal("3.00"), "graded", True),
            ("graded", quiz_id, Decimal("3.00"), "graded", True),
        ]
        received.clear()
        await ok(await student_http.post(f"/api/v1/assignments/{quiz_id}/submit", json={}))
        assert received == []  # a retried submit emits nothing

        await ok(
            await student_http.post(
                f"/api/v1/assignments/{essay_id}/submit", json={"answers": {"es": "text"}}
            )
        )
        assert received == [("submitted", essay_id, Decimal("0.00"), "submitted", True)]
        received.clear()
        await ok(
            await client.post(f"/api/v1/assignments/{essay_id}/grade", json={"scores": {"es": 5}})
        )
        assert received == [("graded", essay_id, Decimal("5.00"), "graded", True)]
        received.clear()
        # Feedback alone, or the same points again, is no new grade: nothing is emitted.
        await ok(
            await client.post(
                f"/api/v1/assignments/{essay_id}/grade",
                json={"scores": {"es": 5}, "feedback": "Well done", "show_correct_answers": True},
            )
        )
        assert received == []
        await ok(
            await client.post(f"/api/v1/assignments/{essay_id}/grade", json={"scores": {"es": 4}})
        )
        assert received == [("graded", essay_id, Decimal("4.00"), "graded", True)]
    finally:
        database.events.unsubscribe(events.AssignmentEvent, record)


async def test_a_failing_event_handler_rolls_the_submission_back(
    client: httpx.AsyncClient,
    people: People,
    make_client: ClientFactory,
    connection: AsyncConnection,
    database: Database,
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    lesson = await create_lesson(client, quiz_lesson())
    assignment_id = await assign_one(client, lesson["id"], student.id)

    async def refuse(session: AsyncSession, event: events.AssignmentEvent) -> None:
        await asyncio.sleep(0)
        raise Conflict("Rewards are closed")

    database.events.subscribe(events.AssignmentEvent, refuse)
    try:
        response = await student_http.post(
            f"/api/v1/assignments/{assignment_id}/submit", json={"answers": RIGHT}
        )
        assert response.status_code == 409
    finally:
        database.events.unsubscribe(events.AssignmentEvent, refuse)
    view = await ok(await student_http.get(f"/api/v1/assignments/{assignment_id}"))
    assert (view["status"], view["attempts_used"], view["score"]) == ("assigned", 0, None)
    assert await attempt_rows(connection, teacher.id, assignment_id) == []


async def test_no_new_attempt_while_the_last_one_waits_for_the_teacher(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    lesson = await create_lesson(client, essay_lesson())
    assignment_id = await assign_one(client, lesson["id"], student.id)
    base = f"/api/v1/assignments/{assignment_id}"
    await ok(await student_http.post(f"{base}/submit", json={"answers": {"es": "First try"}}))

    early = await student_http.post(f"{base}/attempts")
    assert early.status_code == 409
    graded = await ok(await client.post(f"{base}/grade", json={"scores": {"es": 2}}))
    assert (graded["status"], Decimal(graded["score"])) == ("graded", 2)
    second = await ok(await student_http.post(f"{base}/attempts"))
    assert (second["status"], second["attempt_no"]) == ("in_progress", 2)
