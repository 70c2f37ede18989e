"""The time zones a person chooses from: the common ones first (Russia's eleven, the neighbours,
London, Berlin, UTC) with translated city names and their offset from UTC now, then every other
IANA name the tz database knows (what `app.schemas.accounts` accepts).

The offsets are computed once an hour for all ~600 zones (30 ms; a form page must not pay it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from app.core.clock import now_utc
from app.core.i18n import N_

# IANA name → city, in the order the list shows them (west to east in Russia first).
COMMON_TIMEZONES: tuple[tuple[str, str], ...] = (
    ("Europe/Kaliningrad", N_("Kaliningrad")),
    ("Europe/Moscow", N_("Moscow")),
    ("Europe/Samara", N_("Samara")),
    ("Asia/Yekaterinburg", N_("Yekaterinburg")),
    ("Asia/Omsk", N_("Omsk")),
    ("Asia/Novosibirsk", N_("Novosibirsk")),
    ("Asia/Krasnoyarsk", N_("Krasnoyarsk")),
    ("Asia/Irkutsk", N_("Irkutsk")),
    ("Asia/Yakutsk", N_("Yakutsk")),
    ("Asia/Vladivostok", N_("Vladivostok")),
    ("Asia/Magadan", N_("Magadan")),
    ("Asia/Kamchatka", N_("Petropavlovsk-Kamchatsky")),
    ("Europe/Minsk", N_("Minsk")),
    ("Asia/Almaty", N_("Almaty")),
    ("Asia/Tashkent", N_("Tashkent")),
    ("Europe/Kyiv", N_("Kyiv")),
    ("Asia/Yerevan", N_("Yerevan")),
    ("Asia/Tbilisi", N_("Tbilisi")),
    ("Asia/Baku", N_("Baku")),
    ("Europe/London", N_("London")),
    ("Europe/Berlin", N_("Berlin")),
    ("UTC", N_("UTC")),
)
_CITIES = dict(COMMON_TIMEZONES)


@dataclass(frozen=True, slots=True)
class TimezoneChoices:
    """What a time zone <select> shows: `common` and `others` as (IANA name, label) pairs;
    `current` is the name to select, `unknown` is true when the tz database does not know it
    (an old stored value: shown as it is, so that saving the form says what is wrong)."""

    current: str
    common: list[tuple[str, str]]
    others: list[tuple[str, str]]
    unknown: bool


def utc_offset(offset: timedelta | None) -> str:
    """The offset as "UTC+03:00", "UTC-09:30" or "UTC+00:00"."""
    seconds = int(offset.total_seconds()) if offset else 0
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


@lru_cache(maxsize=2)
def _offsets(hour: datetime) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Every known zone's offset at `hour` (a whole hour: the cache's key), and the options of
    the zones that are not common, sorted by name (their labels need no translation)."""
    offsets = {
        name: utc_offset(ZoneInfo(name).utcoffset(hour)) for name in sorted(known_timezones())
    }
    others = [
        (name, f"{name} ({offset})") for name, offset in offsets.items() if name not in _CITIES
    ]
    return offsets, others


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    """The IANA names the tz database knows (zoneinfo alone would also accept file paths)."""
    return frozenset(available_timezones())


def _offsets_now() -> tuple[dict[str, str], list[tuple[str, str]]]:
    return _offsets(now_utc().replace(minute=0, second=0, microsecond=0))


def timezone_label(gettext: Any, name: str) -> str:
    """A zone as a person reads it: "Москва (UTC+03:00)" for a common one (translated by
    `gettext`, the page's `_`), "America/New_York (UTC-05:00)" for another, the bare name for
    one the tz database does not know."""
    offset = _offsets_now()[0].get(name)
    if offset is None:
        return name
    city = _CITIES.get(name)
    if name == "UTC":
        return str(gettext(city or name))
    return f"{gettext(city) if city else name} ({offset})"


def timezone_choices(gettext: Any, current: str) -> TimezoneChoices:
    """The options of a time zone <select> in the page's language, `current` selected."""
    offsets, others = _offsets_now()
    common = [
        (name, timezone_label(gettext, name)) for name, _city in COMMON_TIMEZONES if name in offsets
    ]
    return TimezoneChoices(
        current=current, common=common, others=others, unknown=current not in offsets
    )
