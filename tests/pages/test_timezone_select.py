"""The time zone of a person is chosen from a list: the common zones first (translated cities
with their offset from UTC), then every other name the tz database knows; the current value is
selected; the schema still refuses a name it does not know."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from app.core.clock import frozen
from app.core.timezones import COMMON_TIMEZONES, known_timezones
from app.schemas.accounts import KNOWN_TIMEZONES
from tests.conftest import People
from tests.pages.helpers import Control, browser_login, controls, post_form

# Summer: London and Berlin are an hour ahead of their winter offsets; Russia has no summer time.
SUMMER = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
WINTER = datetime(2026, 12, 11, 12, 0, tzinfo=UTC)


def timezone_select(html: str) -> Control:
    [select] = [control for control in controls(html) if control.name == "timezone"]
    assert select.tag == "select", "the time zone is typed into a text field"
    return select


def selected(select: Control) -> list[str]:
    return [value for value, _, chosen in select.options if chosen]


def label_of(select: Control, value: str) -> str:
    return next(text for name, text, _ in select.options if name == value)


async def teacher_browser(
    people: People, make_client: Callable[[], httpx.AsyncClient], language: str
) -> httpx.AsyncClient:
    """A teacher whose pages are in `language`, logged in through the login form."""
    teacher = await people.teacher(language=language)
    browser = make_client()
    await browser_login(browser, teacher.email)
    return browser


async def test_common_zones_come_first_with_russian_cities_and_offsets(
    people: People, make_client: Callable[[], httpx.AsyncClient]
) -> None:
    browser = await teacher_browser(people, make_client, "ru")
    with frozen(SUMMER):
        html = (await browser.get("/students/new")).text
    select = timezone_select(html)
    values = [value for value, _, _ in select.options]
    common = [name for name, _ in COMMON_TIMEZONES]
    assert values[: len(common)] == common
    # Then every other zone the schema accepts, each once, in alphabetical order.
    others = values[len(common) :]
    assert others == sorted(known_timezones() - set(common))
    assert known_timezones() == KNOWN_TIMEZONES  # the list offers exactly what is accepted
    assert label_of(select, "Europe/Moscow") == "Москва (UTC+03:00)"
    assert label_of(select, "Europe/Kaliningrad") == "Калининград (UTC+02:00)"
    assert label_of(select, "Asia/Kamchatka") == "Петропавловск-Камчатский (UTC+12:00)"
    assert label_of(select, "Europe/London") == "Лондон (UTC+01:00)"
    assert label_of(select, "UTC") == "UTC"
    assert label_of(select, "America/St_Johns") == "America/St_Johns (UTC-02:30)"
    assert 'optgroup label="Основные часовые пояса"' in html
    assert 'optgroup label="Все часовые пояса"' in html
    # A new person gets the platform's default zone.
    assert selected(select) == ["Europe/Moscow"]


async def test_english_page_names_cities_in_english_and_offsets_follow_the_season(
    people: People, make_client: Callable[[], httpx.AsyncClient]
) -> None:
    browser = await teacher_browser(people, make_client, "en")
    with frozen(WINTER):
        select = timezone_select((await browser.get("/students/new")).text)
    assert label_of(select, "Europe/Moscow") == "Moscow (UTC+03:00)"
    assert label_of(select, "Europe/London") == "London (UTC+00:00)"
    assert label_of(select, "Europe/Berlin") == "Berlin (UTC+01:00)"


async def test_the_chosen_zone_is_saved_and_selected_when_editing(
    people: People, make_client: Callable[[], httpx.AsyncClient]
) -> None:
    browser = await teacher_browser(people, make_client, "ru")
    form = [
        ("email", "novosibirsk@example.com"),
        ("password", "Correct-Horse-42!"),
        ("surname", "Сибирцева"),
        ("name", "Ольга"),
        ("second_name", ""),
        ("birthday", ""),
        ("timezone", "Asia/Novosibirsk"),
        ("language", "ru"),
    ]
    response = await post_form(browser, "/students/new", form)
    assert response.status_code == 303, response.text
    student = (await browser.get("/api/v1/students")).json()["items"][0]
    assert student["timezone"] == "Asia/Novosibirsk"
    select = timezone_select((await browser.get(f"/students/{student['id']}/edit")).text)
    assert selected(select) == ["Asia/Novosibirsk"]

    # A zone outside the common ones (the old name of Kyiv) is selected in the full list.
    kept = [pair for pair in form if pair[0] not in ("timezone", "password")]
    edited = [*kept, ("password", ""), ("timezone", "Europe/Kiev"), ("is_active", "on")]
    response = await post_form(browser, f"/students/{student['id']}/edit", edited)
    assert response.status_code == 303, response.text
    select = timezone_select((await browser.get(f"/students/{student['id']}/edit")).text)
    assert selected(select) == ["Europe/Kiev"]


async def test_an_unknown_zone_is_refused_at_its_field_and_nothing_is_saved(
    people: People, make_client: Callable[[], httpx.AsyncClient]
) -> None:
    browser = await teacher_browser(people, make_client, "ru")
    response = await post_form(
        browser,
        "/students/new",
        [
            ("email", "mars@example.com"),
            ("password", "Correct-Horse-42!"),
            ("surname", "Марсова"),
            ("name", "Анна"),
            ("timezone", "Mars/Olympus"),
            ("language", "ru"),
        ],
    )
    assert response.status_code == 422
    html = response.text
    error = html.split('id="error-timezone">', 1)[1].split("</p>", 1)[0]
    assert error.startswith("Неизвестный часовой пояс")
    assert 'aria-describedby="error-timezone"' in html
    # The refused value is shown as it was sent (selected), not silently replaced.
    select = timezone_select(html)
    assert selected(select) == ["Mars/Olympus"]
    assert (await browser.get("/api/v1/students")).json()["items"] == []
