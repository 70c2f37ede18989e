"""The one clock: services read `now_utc()`, so a test can stop time and see deadlines pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.core.clock import frozen, now_utc, wall_time_in, zone_of
from tests.conftest import People, login_as
from tests.lms.helpers import (
    ClientFactory,
    assign,
    create_lesson,
    iso,
    ok,
    quiz_lesson,
    student_client,
)


def test_frozen_time_stands_still_and_comes_back() -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    with frozen(moment):
        assert now_utc() == moment
    assert abs(now_utc() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError):
        frozen(datetime(2030, 1, 1)).__enter__()  # a naive moment means nothing


def test_zones_fall_back_to_utc_and_wall_times_mean_that_zone() -> None:
    assert zone_of("Europe/Moscow").key == "Europe/Moscow"
    assert zone_of("Not/A_Zone").key == "UTC"
    assert zone_of(None).key == "UTC"
    moment = wall_time_in(datetime(2030, 6, 1, 12, 0), "Europe/Moscow")
    assert moment.astimezone(UTC) == datetime(2030, 6, 1, 9, 0, tzinfo=UTC)


async def test_a_deadline_passes_when_the_clock_is_moved_on(
    client: httpx.AsyncClient, people: People, make_client: ClientFactory
) -> None:
    teacher = await people.teacher()
    await login_as(client, teacher.email)
    student, student_http = await student_client(people, make_client, teacher)
    lesson = await create_lesson(client, quiz_lesson(title="Due soon"))
    await assign(client, lesson["id"], student_ids=[student.id], due_at=iso(timedelta(hours=1)))

    now = (await ok(await student_http.get("/api/v1/assignments")))["items"]
    assert [item["overdue"] for item in now] == [False]
    with frozen(datetime.now(UTC) + timedelta(hours=2)):
        later = (await ok(await student_http.get("/api/v1/assignments")))["items"]
        overdue = await ok(await student_http.get("/api/v1/assignments?bucket=overdue"))
    assert [item["overdue"] for item in later] == [True]
    assert [item["lesson_title"] for item in overdue["items"]] == ["Due soon"]
