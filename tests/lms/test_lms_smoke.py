from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.conftest import People, login_as

LESSON = {
    "title": "Present Simple",
    "tags": ["English", "grammar"],
    "status": "published",
    "content": [
        {"id": "intro", "type": "text", "markdown": "# Hello\n<script>alert(1)</script>"},
        {
            "id": "q1",
            "type": "single_choice",
            "prompt": "He ___ to school.",
            "options": [{"id": "a", "text": "go"}, {"id": "b", "text": "goes"}],
            "correct": "b",
            "points": 2,
        },
        {"id": "q2", "type": "short_answer", "prompt": "Ёж?", "accepted": ["ёж"]},
        {"id": "q3", "type": "essay", "prompt": "Write about your day", "points": 5},
    ],
}


async def test_lesson_assign_submit_grade(
    client: httpx.AsyncClient,
    make_client: Callable[[], httpx.AsyncClient],
    people: People,
) -> None:
    teacher = await people.teacher()
    s1 = await people.student(teacher)
    s2 = await people.student(teacher)
    await login_as(client, teacher.email)
    created = await client.post("/api/v1/lessons", json=LESSON)
    assert created.status_code == 201, created.text
    lesson = created.json()
    assigned = await client.post(
        "/api/v1/assignments", json={"lesson_id": lesson["id"], "student_ids": [s1.id, s2.id]}
    )
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["created"] == 2
    again = await client.post(
        "/api/v1/assignments", json={"lesson_id": lesson["id"], "student_ids": [s1.id, s2.id]}
    )
    assert again.json() == {
        "created": 0,
        "already_assigned": 2,
        "assignment_ids": [],
        "due_updated": 0,
        "due_kept": 0,
    }

    student = make_client()
    await login_as(student, s1.email)
    mine = (await student.get("/api/v1/assignments?bucket=todo")).json()
    assert mine["total"] == 1
    assignment_id = mine["items"][0]["id"]
    view = await student.get(f"/api/v1/assignments/{assignment_id}")
    assert view.status_code == 200, view.text
    assert "correct" not in view.text and "accepted" not in view.text
    saved = await student.put(
        f"/api/v1/assignments/{assignment_id}/progress",
        json={"answers": {"q1": "b", "q2": " ЕЖ "}, "blocks_viewed": ["intro"]},
    )
    assert saved.status_code == 200, saved.text
    submitted = await student.post(
        f"/api/v1/assignments/{assignment_id}/submit", json={"answers": {"q3": "My day"}}
    )
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["status"] == "submitted"
    assert body["score"] == "3.00"
    again_submit = await student.post(f"/api/v1/assignments/{assignment_id}/submit", json={})
    assert again_submit.json()["attempts_used"] == 1

    graded = await client.post(
        f"/api/v1/assignments/{assignment_id}/grade",
        json={"scores": {"q3": 4}, "feedback": "Good", "show_correct_answers": True},
    )
    assert graded.status_code == 200, graded.text
    assert graded.json()["status"] == "graded"
    assert graded.json()["score"] == "7.00"
    result = (await student.get(f"/api/v1/assignments/{assignment_id}")).json()
    assert result["feedback"] == "Good"
    assert result["revealed"] is not None
