"""The grading list's filter by student: chosen by name from the teacher's students, and the
chosen one named (never "Ученик: #1"); another teacher's student looks missing."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import People
from tests.lms.helpers import essay_lesson
from tests.pages.helpers import api, browser_login, controls

MISSING_ID = 9_000_000_000


async def submit_essay(
    teacher_http: httpx.AsyncClient, student_http: httpx.AsyncClient, lesson_id: int, student: Any
) -> int:
    assigned = await api(
        teacher_http,
        "POST",
        "/api/v1/assignments",
        json={"lesson_id": lesson_id, "student_ids": [student.id]},
    )
    assignment_id: int = assigned["assignment_ids"][0]
    await api(
        student_http,
        "POST",
        f"/api/v1/assignments/{assignment_id}/submit",
        json={"answers": {"q1": True, "es": "Words"}},
    )
    return assignment_id


def student_select(html: str) -> list[tuple[str, str, bool]]:
    return next(c.options for c in controls(html) if c.name == "student_id")


async def test_the_filter_names_the_students(people: People, make_client: Any) -> None:
    teacher = await people.teacher()
    ann = await people.student(teacher, name="Ann", surname="Lee")
    bob = await people.student(teacher, name="Bob", surname="Moss")
    other = await people.teacher()
    await people.student(other, name="Bella", surname="Banana")
    teacher_http = make_client()
    await browser_login(teacher_http, teacher.email)
    lesson = await api(teacher_http, "POST", "/api/v1/lessons", json=essay_lesson())
    work = {}
    for student in (ann, bob):
        student_http = make_client()
        await browser_login(student_http, student.email)
        work[student.id] = await submit_essay(teacher_http, student_http, lesson["id"], student)

    everything = await teacher_http.get("/grading")
    assert everything.status_code == 200
    options = student_select(everything.text)
    assert options == [
        ("", "Все ученики", False),  # the first option: shown when none is chosen
        (str(ann.id), "Lee Ann", False),
        (str(bob.id), "Moss Bob", False),
    ]
    assert "Banana" not in everything.text
    # The names in the list open the student's page.
    assert f'href="/students/{ann.id}"' in everything.text

    # Choosing Ann (what the form sends) shows her work only, named.
    chosen = await teacher_http.get("/grading", params={"student_id": str(ann.id)})
    assert chosen.status_code == 200
    assert f"/assignments/{work[ann.id]}/review" in chosen.text
    assert f"/assignments/{work[bob.id]}/review" not in chosen.text
    assert [text for _, text, selected in student_select(chosen.text) if selected] == ["Lee Ann"]
    notice = chosen.text[chosen.text.index('class="notice"') :]
    assert notice.index("Lee Ann") < notice.index("</p>")
    assert "#" + str(ann.id) not in chosen.text

    # "All students" sends an empty value: everything again, no error.
    blank = await teacher_http.get("/grading?student_id=")
    assert blank.status_code == 200
    assert f"/assignments/{work[bob.id]}/review" in blank.text

    # A student with nothing submitted is still named.
    carl = await people.student(teacher, name="Carl", surname="Nye")
    empty = await teacher_http.get(f"/grading?student_id={carl.id}")
    assert empty.status_code == 200
    assert "Nye Carl" in empty.text[empty.text.index('class="notice"') :]


async def test_another_teachers_student_in_the_filter_looks_missing(
    people: People, make_client: Any
) -> None:
    teacher, other = await people.teacher(), await people.teacher()
    foreign = await people.student(other, name="Bella", surname="Banana")
    http = make_client()
    await browser_login(http, teacher.email)
    theirs = await http.get(f"/grading?student_id={foreign.id}")
    missing = await http.get(f"/grading?student_id={MISSING_ID}")
    assert theirs.status_code == missing.status_code == 404
    assert "Banana" not in theirs.text
    bad = await http.get("/grading?student_id=abc")
    assert bad.status_code == 422
