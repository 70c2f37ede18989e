"""Dates look one way everywhere, in Russian and English alike: "11.12.2026" for a day and
"11.12.2026 18:00" for a moment, on the viewer's clock (app/api/templating.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import httpx
import pytest

from app.api.templating import calendar_date, wall_clock
from app.core.clock import zone_of
from tests.conftest import People
from tests.pages.helpers import browser_login

# 22:30 UTC on 11 December is already 12 December in Moscow.
LATE_EVENING = datetime(2026, 12, 11, 22, 30, tzinfo=UTC)


def test_a_day_and_a_moment_have_one_format() -> None:
    assert calendar_date(date(2026, 12, 11)) == "11.12.2026"
    assert calendar_date(date(2026, 1, 2)) == "02.01.2026"
    assert calendar_date(None) == "—"
    assert wall_clock(LATE_EVENING, zone_of("UTC")) == "11.12.2026 22:30"
    assert wall_clock(None, zone_of("UTC")) == "—"


def test_a_moment_falls_on_the_day_of_the_viewers_clock() -> None:
    assert calendar_date(LATE_EVENING, zone_of("Europe/Moscow")) == "12.12.2026"
    assert calendar_date(LATE_EVENING, zone_of("America/New_York")) == "11.12.2026"
    assert wall_clock(LATE_EVENING, zone_of("Europe/Moscow")) == "12.12.2026 01:30"
    # Without a zone a moment is read in UTC.
    assert calendar_date(LATE_EVENING) == "11.12.2026"


@pytest.mark.parametrize("language", ["ru", "en"])
async def test_birthdays_on_the_pages_use_the_same_format(
    people: People, make_client: Callable[[], httpx.AsyncClient], language: str
) -> None:
    teacher = await people.teacher(language=language)
    student = await people.student(teacher, birthday="2011-02-03", language=language)
    teacher_browser, student_browser = make_client(), make_client()
    await browser_login(teacher_browser, teacher.email)
    await browser_login(student_browser, student.email)

    students = (await teacher_browser.get("/students")).text
    assert '<time datetime="2011-02-03">03.02.2011</time>' in students
    assert "2011-02-03<" not in students
    dashboard = (await student_browser.get("/dashboard")).text
    assert '<time datetime="2011-02-03">03.02.2011</time>' in dashboard
    # The time zone is named as in the list it was chosen from.
    moscow = "Москва" if language == "ru" else "Moscow"
    assert f"{moscow} (UTC+03:00)" in dashboard
