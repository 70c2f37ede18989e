"""Due dates at the edges of the accepted range (1900-01-01 .. 2200-12-31, as written) show on
every page and API that has them, in the farthest time zones; dates beyond it, or without an
offset, are refused with a 422 naming the field and nothing is assigned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from app.api.templating import wall_clock
from app.core.clock import on_wall_clock, zone_of
from app.schemas.accounts import StudentRead, TeacherRead
from tests.conftest import People, login_as
from tests.lms.helpers import ClientFactory, Json, create_lesson, ok, quiz_lesson

EDGES = ("1900-01-01T00:00:00+14:00", "2200-12-31T23:59:59-12:00")
# The farthest offsets there are (+14, -12), one with many historical changes, and UTC.
ZONES = ("Pacific/Kiritimati", "Etc/GMT+12", "Europe/Moscow", "UTC")
OUT_OF_RANGE = (
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "1899-12-31T23:59:59+00:00",
    "2201-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
)


async def _classroom(
    people: People, make_client: ClientFactory, zone: str
) -> tuple[TeacherRead, httpx.AsyncClient, StudentRead, httpx.AsyncClient, Json]:
    teacher = await people.teacher(timezone=zone)
    student = await people.student(teacher, timezone=zone)
    teacher_client, student_client = make_client(), make_client()
    await login_as(teacher_client, teacher.email)
    await login_as(student_client, student.email)
    lesson = await create_lesson(teacher_client, quiz_lesson())
    return teacher, teacher_client, student, student_client, lesson


async def _assignment_count(client: httpx.AsyncClient) -> int:
    total: int = (await ok(await client.get("/api/v1/assignments")))["total"]
    return total


async def _every_view(
    teacher: httpx.AsyncClient, student: httpx.AsyncClient, lesson_id: int, assignment_id: int
) -> None:
    """Every page and API a due date appears on answers 200 (before and after submitting)."""
    teacher_urls = (
        f"/lessons/{lesson_id}/assign",
        "/grading",
        f"/assignments/{assignment_id}/review",
        "/dashboard",
        "/api/v1/assignments",
        f"/api/v1/assignments/{assignment_id}",
    )
    student_urls = (
        "/dashboard",
        f"/assignments/{assignment_id}",
        "/api/v1/assignments",
        *(f"/api/v1/assignments?bucket={bucket}" for bucket in ("todo", "overdue", "done")),
        f"/api/v1/assignments/{assignment_id}",
    )
    for client, urls in ((teacher, teacher_urls), (student, student_urls)):
        for url in urls:
            response = await client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.text[:500])


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("due_at", EDGES)
async def test_edge_due_dates_show_everywhere(
    people: People, make_client: ClientFactory, due_at: str, zone: str
) -> None:
    _, teacher, student_read, student, lesson = await _classroom(people, make_client, zone)
    result = await ok(
        await teacher.post(
            "/api/v1/assignments",
            json={
                "lesson_id": lesson["id"],
                "student_ids": [student_read.id],
                "due_at": due_at,
                "allow_past": True,  # 1900: confirmed as the teacher would
            },
        ),
        201,
    )
    assignment_id = result["assignment_ids"][0]
    shown = await ok(await student.get(f"/api/v1/assignments/{assignment_id}"))
    assert datetime.fromisoformat(shown["due_at"]) == datetime.fromisoformat(due_at)
    assert shown["overdue"] is due_at.startswith("1900")

    await _every_view(teacher, student, lesson["id"], assignment_id)
    submitted = await student.post(f"/api/v1/assignments/{assignment_id}/submit", json={})
    assert submitted.status_code == 200, submitted.text
    await _every_view(teacher, student, lesson["id"], assignment_id)


@pytest.mark.parametrize("zone", ("Pacific/Kiritimati", "Etc/GMT+12"))
@pytest.mark.parametrize("wall_time", ("1900-01-01T00:00", "2200-12-31T23:59"))
async def test_edge_due_dates_from_the_assign_page(
    people: People, make_client: ClientFactory, wall_time: str, zone: str
) -> None:
    """The page's `datetime-local` is the teacher's wall time, in the teacher's zone."""
    _, teacher, student_read, student, lesson = await _classroom(people, make_client, zone)
    response = await teacher.post(
        f"/lessons/{lesson['id']}/assign",
        data={"student_ids": str(student_read.id), "due_at": wall_time, "allow_past": "on"},
    )
    assert response.status_code == 303, response.text
    (item,) = (await ok(await teacher.get("/api/v1/assignments")))["items"]
    expected = datetime.fromisoformat(wall_time).replace(tzinfo=zone_of(zone))
    assert datetime.fromisoformat(item["due_at"]) == expected
    await _every_view(teacher, student, lesson["id"], item["id"])


@pytest.mark.parametrize("due_at", [*OUT_OF_RANGE, "2030-01-01T10:00:00", "2030-01-01"])
async def test_due_dates_out_of_range_or_without_offset_are_refused(
    people: People, make_client: ClientFactory, due_at: str
) -> None:
    _, teacher, student_read, _, lesson = await _classroom(people, make_client, "Europe/Moscow")
    response = await teacher.post(
        "/api/v1/assignments",
        json={"lesson_id": lesson["id"], "student_ids": [student_read.id], "due_at": due_at},
    )
    assert response.status_code == 422, response.text
    assert "due_at" in response.text
    assert await _assignment_count(teacher) == 0


@pytest.mark.parametrize("wall_time", ("9999-12-31T23:59", "0001-01-01T00:00", "1899-12-31T23:59"))
async def test_assign_page_refuses_dates_out_of_range(
    people: People, make_client: ClientFactory, wall_time: str
) -> None:
    _, teacher, student_read, _, lesson = await _classroom(people, make_client, "Etc/GMT+12")
    teacher.cookies.set("lang", "en")
    response = await teacher.post(
        f"/lessons/{lesson['id']}/assign",
        data={"student_ids": str(student_read.id), "due_at": wall_time},
    )
    assert response.status_code == 422, response.text
    assert "Enter a date between 1900-01-01 and 2200-12-31" in response.text
    assert 'name="due_at"' in response.text
    assert await _assignment_count(teacher) == 0


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
async def test_lesson_base_updated_at_out_of_range_is_refused(
    people: People, make_client: ClientFactory, moment: str
) -> None:
    _, teacher, _, _, lesson = await _classroom(people, make_client, "UTC")
    response = await teacher.patch(
        f"/api/v1/lessons/{lesson['id']}", json={"title": "Renamed", "base_updated_at": moment}
    )
    assert response.status_code == 422, response.text
    assert "base_updated_at" in response.text
    assert (await ok(await teacher.get(f"/api/v1/lessons/{lesson['id']}")))["title"] == "Quiz"


@pytest.mark.parametrize("birthday", ("9999-12-31", "0001-01-01", "1899-12-31"))
async def test_birthdays_out_of_range_are_refused(
    people: People, make_client: ClientFactory, birthday: str
) -> None:
    _, teacher, student_read, _, _ = await _classroom(people, make_client, "UTC")
    response = await teacher.patch(
        f"/api/v1/students/{student_read.id}", json={"birthday": birthday}
    )
    assert response.status_code == 422, response.text
    assert "birthday" in response.text
    assert (await ok(await teacher.get(f"/api/v1/students/{student_read.id}")))["birthday"] is None


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    "moment",
    [
        # What the database hands back for -infinity/infinity (and for year 1 UTC): naive.
        datetime.min,
        datetime.max,
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
    ],
)
def test_moments_beyond_python_range_still_display(moment: datetime, zone: str) -> None:
    """Rows saved before dates were range-checked must not break a page in any zone."""
    shown = on_wall_clock(moment, zone_of(zone))
    assert shown.tzinfo is not None
    assert wall_clock(moment, zone_of(zone))
    assert wall_clock(None, zone_of(zone)) == "—"
