"""Attempts are history: a new attempt keeps the graded ones (answers, score, feedback) for
the student and the teacher; the lesson's rule (best by default, last, first) picks the attempt
that counts on the dashboard and in progress; progress counts answered questions."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tests.conftest import People
from tests.lms.helpers import (
    ClientFactory,
    Json,
    assign_one,
    create_lesson,
    essay_lesson,
    ok,
    quiz_lesson,
    student_client,
    teacher_client,
)
from tests.pages.helpers import post_form

RIGHT = {"q1": "b", "q2": True}  # 3 of 3
HALF = {"q1": "a", "q2": True}  # 1 of 3
WRONG = {"q1": "a", "q2": False}  # 0 of 3


async def _submit(student: httpx.AsyncClient, assignment_id: int, answers: Json) -> Json:
    return await ok(
        await student.post(f"/api/v1/assignments/{assignment_id}/submit", json={"answers": answers})
    )


async def _retry(student: httpx.AsyncClient, assignment_id: int) -> Json:
    return await ok(await student.post(f"/api/v1/assignments/{assignment_id}/attempts"))


async def _done(student: httpx.AsyncClient) -> list[Json]:
    body = await ok(await student.get("/api/v1/assignments", params={"bucket": "done"}))
    items: list[Json] = body["items"]
    return items


async def _quiz(
    people: People, make_client: ClientFactory, **lesson: object
) -> tuple[httpx.AsyncClient, httpx.AsyncClient, int, int]:
    teacher, teacher_api = await teacher_client(people, make_client)
    student, student_api = await student_client(people, make_client, teacher)
    created = await create_lesson(teacher_api, quiz_lesson(**lesson))
    assignment_id = await assign_one(teacher_api, created["id"], student.id)
    return teacher_api, student_api, created["id"], assignment_id


async def test_a_new_attempt_keeps_the_graded_one_for_both(
    people: People, make_client: ClientFactory
) -> None:
    teacher, student, _, assignment_id = await _quiz(people, make_client)
    await _submit(student, assignment_id, HALF)
    await ok(
        await teacher.post(
            f"/api/v1/assignments/{assignment_id}/grade", json={"feedback": "Повторите -s"}
        )
    )
    view = await _retry(student, assignment_id)
    assert view["status"] == "in_progress" and view["attempt_no"] == 2
    assert view["answers"] == {}
    [first] = view["history"]
    assert first["attempt_no"] == 1 and Decimal(first["score"]) == 1
    assert first["feedback"] == "Повторите -s" and first["counted"] is True
    # The dashboard still lists it as done, with the score that counts.
    [done] = await _done(student)
    assert done["id"] == assignment_id and Decimal(done["counted_score"]) == 1
    # The first attempt as it was answered, with its points.
    page = await student.get(f"/assignments/{assignment_id}/attempts/1")
    assert page.status_code == 200 and "Повторите -s" in page.text
    # The teacher still reviews (and may regrade) the first attempt.
    review = await ok(await teacher.get(f"/api/v1/assignments/{assignment_id}"))
    assert review["reviewed_attempt_no"] == 1
    assert review["answers"] == HALF and review["feedback"] == "Повторите -s"
    assert [a["attempt_no"] for a in review["attempts"]] == [1]


async def test_the_lesson_rule_picks_the_attempt_that_counts(
    people: People, make_client: ClientFactory
) -> None:
    teacher, student, lesson_id, assignment_id = await _quiz(people, make_client)
    for answers in (HALF, RIGHT, WRONG):
        if answers is not HALF:
            await _retry(student, assignment_id)
        await _submit(student, assignment_id, answers)

    async def counted() -> tuple[int, Decimal]:
        [item] = await _done(student)
        return item["counted_attempt_no"], Decimal(item["counted_score"])

    assert await counted() == (2, Decimal(3))  # best by default
    for rule, expected in (("last", (3, Decimal(0))), ("first", (1, Decimal(1)))):
        await ok(
            await teacher.patch(f"/api/v1/lessons/{lesson_id}", json={"counted_attempt": rule})
        )
        assert await counted() == expected
    # Progress averages the attempt that counts (the first: 1 of 3).
    students = await ok(await teacher.get("/api/v1/students"))
    [progress] = [s["progress"] for s in students["items"]]
    assert progress["completed"] == 1
    assert Decimal(progress["average_percent"]) == Decimal("33.3")


async def test_an_essay_waiting_for_its_grade_does_not_count_until_graded(
    people: People, make_client: ClientFactory
) -> None:
    teacher_read, teacher = await teacher_client(people, make_client)
    student_read, student = await student_client(people, make_client, teacher_read)
    lesson = await create_lesson(teacher, essay_lesson(counted_attempt="last"))
    assignment_id = await assign_one(teacher, lesson["id"], student_read.id)
    await _submit(student, assignment_id, {"q1": True, "es": "Мой день"})
    [done] = await _done(student)
    assert done["counted_score"] is None and done["status"] == "submitted"
    graded = await ok(
        await teacher.post(
            f"/api/v1/assignments/{assignment_id}/grade",
            json={"scores": {"es": "4"}, "feedback": "Хорошо"},
        )
    )
    assert graded["counted_attempt_no"] == 1 and Decimal(graded["counted_score"]) == 5
    await _retry(student, assignment_id)
    await _submit(student, assignment_id, {"q1": False, "es": "Ещё раз"})
    # Attempt 2 waits for its essay: the last *graded* attempt (1) still counts.
    review = await ok(await teacher.get(f"/api/v1/assignments/{assignment_id}"))
    assert review["reviewed_attempt_no"] == 2 and review["counted_attempt_no"] == 1
    # Regrading the first attempt while the second waits changes only the first.
    first = await ok(
        await teacher.post(
            f"/api/v1/assignments/{assignment_id}/grade",
            json={"attempt_no": 1, "scores": {"es": "5"}},
        )
    )
    assert first["reviewed_attempt_no"] == 1 and Decimal(first["counted_score"]) == 6
    assert first["status"] == "submitted"  # the latest attempt still waits
    assert [a["feedback"] for a in first["attempts"]] == ["Хорошо", None]
    second = await ok(
        await teacher.post(
            f"/api/v1/assignments/{assignment_id}/grade",
            json={"attempt_no": 2, "scores": {"es": "1"}, "feedback": "Слабее"},
        )
    )
    assert second["status"] == "graded" and second["counted_attempt_no"] == 2
    assert Decimal(second["counted_score"]) == 1
    missing = await teacher.post(
        f"/api/v1/assignments/{assignment_id}/grade", json={"attempt_no": 3, "scores": {}}
    )
    assert missing.status_code == 404, missing.text


async def test_progress_counts_answered_questions(
    people: People, make_client: ClientFactory
) -> None:
    teacher, student, lesson_id, assignment_id = await _quiz(people, make_client)
    await ok(
        await student.put(
            f"/api/v1/assignments/{assignment_id}/progress",
            json={"answers": {"q1": "b", "q2": None}, "blocks_viewed": ["intro", "q1", "q2"]},
        )
    )
    listed = await ok(await teacher.get("/api/v1/assignments", params={"lesson_id": lesson_id}))
    [item] = listed["items"]
    assert (item["answered_count"], item["question_count"]) == (1, 2)
    page = await teacher.get(f"/lessons/{lesson_id}/assign")
    assert "1 из 2 вопросов" in page.text


async def test_another_students_attempt_is_not_found(
    people: People, make_client: ClientFactory
) -> None:
    teacher_read, teacher = await teacher_client(people, make_client)
    owner, owner_api = await student_client(people, make_client, teacher_read)
    _, other_api = await student_client(people, make_client, teacher_read)
    lesson = await create_lesson(teacher, quiz_lesson())
    assignment_id = await assign_one(teacher, lesson["id"], owner.id)
    await _submit(owner_api, assignment_id, RIGHT)
    assert (await owner_api.get(f"/assignments/{assignment_id}/attempts/1")).status_code == 200
    assert (await owner_api.get(f"/assignments/{assignment_id}/attempts/2")).status_code == 404
    assert (await other_api.get(f"/assignments/{assignment_id}/attempts/1")).status_code == 404


async def test_the_review_page_grades_an_earlier_attempt(
    people: People, make_client: ClientFactory
) -> None:
    teacher, student, _, assignment_id = await _quiz(people, make_client)
    await _submit(student, assignment_id, HALF)
    await _retry(student, assignment_id)
    await _submit(student, assignment_id, RIGHT)
    review = f"/assignments/{assignment_id}/review"
    latest = await teacher.get(review)
    assert latest.status_code == 200
    assert 'name="attempt_no" value="2"' in latest.text
    assert f'href="{review}?attempt=1"' in latest.text
    first = await teacher.get(review, params={"attempt": "1"})
    assert 'name="attempt_no" value="1"' in first.text
    graded = await post_form(
        teacher,
        f"/assignments/{assignment_id}/grade",
        [("attempt_no", "1"), ("score.q1", "2"), ("feedback", "Исправлено")],
    )
    assert graded.status_code == 303 and graded.headers["location"] == f"{review}?attempt=1"
    view = await ok(await teacher.get(f"/api/v1/assignments/{assignment_id}"))
    assert [a["feedback"] for a in view["attempts"]] == ["Исправлено", None]
    assert [Decimal(a["score"]) for a in view["attempts"]] == [3, 3]
    assert view["counted_attempt_no"] == 1  # a tie: the earlier attempt counts
    missing = await teacher.get(review, params={"attempt": "3"})
    assert missing.status_code == 404
