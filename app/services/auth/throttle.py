"""Login throttling that holds across processes: attempts are counted in PostgreSQL per account
(the e-mail, whether or not it exists) and per client address.

Counting reserves before hashing: an attempt first adds itself to both counters in one upsert,
and is refused (429, no hash) when either already holds `login_max_failures` attempts of the
window. So at most that many passwords are ever tried per window and key, also when a burst
arrives at once or across several processes. A successful login takes its reservation back:
the account's counter is reset, the address's loses the one attempt. What is left are the
failures. The window is fixed, from the first counted attempt of a key: simple, one row per key.

PostgreSQL is the one backend (no Redis): a login already costs a few round trips and an
Argon2 hash, so an upsert more is noise, and the counts live where the sessions live.
Every function here runs as the system actor (the table is visible to 'system' only), in the
login's own short transactions (app.services.auth.login), never the request's.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings


class ThrottleKind(StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"
    # The account's known devices (app.core.security.known_device_token), counted apart: an
    # attack that locks the account out for unknown browsers does not lock out its owner.
    KNOWN_DEVICE = "known_device"


# The counters that belong to the account: a successful login starts them over.
ACCOUNT_KINDS = frozenset({ThrottleKind.ACCOUNT, ThrottleKind.KNOWN_DEVICE})


@dataclass(frozen=True, slots=True)
class ThrottleKey:
    kind: ThrottleKind
    key_hash: str


@dataclass(frozen=True, slots=True)
class Reservation:
    """The attempt's place in its counters: `refused_by` is empty when it may go on to hash."""

    keys: tuple[ThrottleKey, ...]
    refused_by: tuple[ThrottleKind, ...] = ()
    retry_after: int = 0

    @property
    def allowed(self) -> bool:
        return not self.refused_by


def keys_for(
    settings: Settings, *, email: str, address: str | None, known_device: bool = False
) -> tuple[ThrottleKey, ...]:
    """The counters an attempt counts in: its e-mail (as the login looks it up: trimmed,
    case-insensitive) and, when known, the client's address. An attempt from a known device
    of the account counts in that account's known-device counter only (OWASP's "device
    cookies"): it still gets `login_max_failures` tries a window, but failures from unknown
    browsers or from a shared address cannot lock its owner out."""
    secret = settings.effective_secret_key().encode()

    def digest(kind: ThrottleKind, value: str) -> ThrottleKey:
        mac = hmac.new(secret, f"login-throttle:{kind}:{value}".encode(), hashlib.sha256)
        return ThrottleKey(kind, mac.hexdigest())

    if known_device:
        return (digest(ThrottleKind.KNOWN_DEVICE, email.strip().lower()),)
    keys = [digest(ThrottleKind.ACCOUNT, email.strip().lower())]
    if address:
        keys.append(digest(ThrottleKind.ADDRESS, address))
    return tuple(keys)


def _window_seconds(settings: Settings) -> int:
    return settings.login_failure_window_minutes * 60


_WINDOW = "CAST(:window AS integer) * interval '1 second'"
_EXPIRED = f"t.window_started_at <= now() - {_WINDOW}"
# `failures` stops at limit + 1 (refused): a refused attempt cannot push a window further.
# RETURNING sees the row as written, so `window_started_at` there is the current window's.
# Rows are locked in key order, the same in every transaction.
_RESERVE = text(
    f"""
    INSERT INTO login_throttle AS t (kind, key_hash, failures, window_started_at)
    SELECT kind, key_hash, 1, now()
    FROM unnest(CAST(:kinds AS text[]), CAST(:hashes AS text[])) AS k(kind, key_hash)
    ORDER BY kind, key_hash
    ON CONFLICT (kind, key_hash) DO UPDATE SET
        failures = CASE WHEN {_EXPIRED} THEN 1 ELSE least(t.failures + 1, :limit + 1) END,
        window_started_at = CASE WHEN {_EXPIRED} THEN now() ELSE t.window_started_at END
    RETURNING t.kind, t.key_hash, t.failures,
        CAST(ceil(extract(epoch FROM t.window_started_at + {_WINDOW} - now())) AS integer)
            AS retry_after
    """
)
_GIVE_BACK = text(
    "UPDATE login_throttle SET failures = greatest(failures - 1, 0)"
    " WHERE (kind, key_hash) IN (SELECT * FROM unnest(CAST(:kinds AS text[]),"
    " CAST(:hashes AS text[])))"
)
_RESET = text("DELETE FROM login_throttle WHERE kind = :kind AND key_hash = :key_hash")
# Older than any window anyone would configure: such a row would start over on its next use.
COUNTER_RETENTION_HOURS = 24
_DELETE_EXPIRED = text(
    "DELETE FROM login_throttle"
    " WHERE window_started_at < now() - CAST(:hours AS integer) * interval '1 hour'"
)


def _arrays(keys: tuple[ThrottleKey, ...]) -> dict[str, list[str]]:
    return {"kinds": [k.kind.value for k in keys], "hashes": [k.key_hash for k in keys]}


async def reserve(
    session: AsyncSession, settings: Settings, keys: tuple[ThrottleKey, ...]
) -> Reservation:
    """Count one attempt in every counter of `keys`; refused when any was already full (then
    the attempt is taken back from the others: a refused attempt counts nowhere)."""
    limit = settings.login_max_failures
    rows = (
        await session.execute(
            _RESERVE, {**_arrays(keys), "window": _window_seconds(settings), "limit": limit}
        )
    ).all()
    refused = [row for row in rows if row.failures > limit]
    if not refused:
        return Reservation(keys=keys)
    counted = tuple(
        ThrottleKey(ThrottleKind(row.kind), row.key_hash) for row in rows if row.failures <= limit
    )
    if counted:
        await session.execute(_GIVE_BACK, _arrays(counted))
    return Reservation(
        keys=keys,
        refused_by=tuple(sorted(ThrottleKind(row.kind) for row in refused)),
        retry_after=max(int(row.retry_after) for row in refused),
    )


async def succeeded(session: AsyncSession, keys: tuple[ThrottleKey, ...]) -> None:
    """A successful login: the account's counter starts over; the address keeps its failures
    but not this attempt."""
    others = tuple(k for k in keys if k.kind not in ACCOUNT_KINDS)
    for key in keys:
        if key.kind in ACCOUNT_KINDS:
            await session.execute(_RESET, {"kind": key.kind.value, "key_hash": key.key_hash})
    if others:
        await session.execute(_GIVE_BACK, _arrays(others))


async def delete_expired(session: AsyncSession) -> int:
    """Delete counters whose window is long over (they would start over anyway); how many."""
    result = await session.execute(_DELETE_EXPIRED, {"hours": COUNTER_RETENTION_HOURS})
    return int(getattr(result, "rowcount", 0) or 0)
