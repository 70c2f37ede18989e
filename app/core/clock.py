"""The one clock: what time it is, and how a moment looks in a person's time zone.

Services and pages ask `now_utc()` instead of `datetime.now()`, so a test can stop time with
`frozen(moment)`. Database defaults (`created_at`, `updated_at`) use PostgreSQL's own `now()`:
the transaction's start, not this clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_frozen_at: datetime | None = None


def now_utc() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return _frozen_at if _frozen_at is not None else datetime.now(UTC)


@contextmanager
def frozen(moment: datetime) -> Iterator[datetime]:
    """Stop the clock at `moment` (aware) inside the block: for tests of deadlines and limits."""
    global _frozen_at
    if moment.tzinfo is None:
        raise ValueError("freeze the clock at an aware datetime")
    previous, _frozen_at = _frozen_at, moment.astimezone(UTC)
    try:
        yield _frozen_at
    finally:
        _frozen_at = previous


@lru_cache(maxsize=256)
def zone_of(name: str | None) -> ZoneInfo:
    """A person's time zone by its IANA name; UTC when it is missing or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def wall_time_in(value: datetime, zone_name: str | None) -> datetime:
    """A naive wall-clock time (a `datetime-local` input) as the moment it means in that zone."""
    return value.replace(tzinfo=zone_of(zone_name))


def on_wall_clock(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` as a clock on the wall in `zone` reads it; never fails a page.

    A naive moment is UTC (the database's -infinity/infinity come back naive). One that Python
    cannot show in that zone (year 1 seen from the west, 9999 from the east; request schemas
    refuse such dates, older rows may hold them) is shown as it is."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment
