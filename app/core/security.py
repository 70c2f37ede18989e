"""Passwords (Argon2 via pwdlib, hashed off the event loop) and tokens (JWT access, refresh)."""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import hmac
import itertools
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.clock import now_utc
from app.core.config import Settings
from app.core.errors import Busy, TooManyRequests
from app.core.i18n import N_
from app.models.users import Role

T = TypeVar("T")

# Special characters the policy accepts: anything that is not a letter, digit or space.
_SPECIAL = re.compile(r"[^\w\s]|_")
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128
# Each problem is a msgid, translated where it is shown. The lengths are spelled out because
# extraction cannot read an f-string; tests/test_i18n.py checks they agree with the limits above.
TOO_SHORT = N_("at least 10 characters")
TOO_LONG = N_("at most 128 characters")


def password_problems(password: str) -> list[str]:
    """Every rule the password breaks, in words a person can act on (empty list: it is fine)."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(TOO_SHORT)
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(TOO_LONG)
    if not any(ch.isupper() for ch in password):
        problems.append(N_("an upper-case letter"))
    if not any(ch.islower() for ch in password):
        problems.append(N_("a lower-case letter"))
    if not any(ch.isdigit() for ch in password):
        problems.append(N_("a digit"))
    if not _SPECIAL.search(password):
        problems.append(N_("a special character such as ! ? # %"))
    return problems


@lru_cache(maxsize=4)
def _hasher(memory_cost: int, time_cost: int, parallelism: int) -> PasswordHash:
    return PasswordHash(
        (Argon2Hasher(memory_cost=memory_cost, time_cost=time_cost, parallelism=parallelism),)
    )


def password_hasher(settings: Settings) -> PasswordHash:
    return _hasher(
        settings.argon2_memory_cost, settings.argon2_time_cost, settings.argon2_parallelism
    )


# Argon2 runs on a small pool of its own, never on the event loop and never on the shared
# thread pool: each hash takes `argon2_memory_cost` (64 MiB by default), and measured here 40
# concurrent logins on the shared 40-thread pool left a worker at 420 MB RSS that it never gave
# back. Two threads bound both the memory and the CPU a burst of logins can take from requests.
_ARGON2_THREADS = 2
_argon2_pool = ThreadPoolExecutor(max_workers=_ARGON2_THREADS, thread_name_prefix="argon2")


class _PrioritySlots:
    """One slot per Argon2 thread, handed out most urgent first (then first come): the pool's
    own queue is first in, first out, and a returning person's login (a known device) must not
    wait behind every hash an attack has queued. So nothing waits inside the executor; work
    waits here, in order of priority."""

    def __init__(self, size: int) -> None:
        self.free = size
        self.waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self.arrivals = itertools.count()

    async def acquire(self, priority: int) -> None:
        if self.free > 0 and not self.waiting:
            self.free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self.waiting, (priority, next(self.arrivals), turn))
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self.release()  # handed the slot just as it was cancelled: pass it on
            raise

    def release(self) -> None:
        # Runs on the event loop (the `finally` below), so the waiter can be woken directly.
        while self.waiting:
            _priority, _arrival, turn = heapq.heappop(self.waiting)
            if not turn.done() and not turn.get_loop().is_closed():
                turn.set_result(None)
                return
        self.free += 1


URGENT, ORDINARY = 0, 1
_argon2_slots = _PrioritySlots(_ARGON2_THREADS)


async def _in_argon2_pool(function: Callable[..., T], *args: Any, priority: int = ORDINARY) -> T:
    await _argon2_slots.acquire(priority)
    try:
        return await asyncio.get_running_loop().run_in_executor(_argon2_pool, function, *args)
    finally:
        _argon2_slots.release()


async def hash_password(settings: Settings, password: str) -> str:
    return await _in_argon2_pool(password_hasher(settings).hash, password)


# A well-formed hash of a random password, made once per Argon2 cost (lazily, on the hasher
# pool): verifying against it is one Argon2 run, exactly what checking a real password costs, so
# an unknown e-mail answers as slowly as a wrong password. (Hashing a dummy on every call and
# then verifying was two runs: measured 0.35 s against 0.20 s.)
_dummy_hashes: dict[tuple[int, int, int], str] = {}


async def _dummy_hash(settings: Settings) -> str:
    cost = (settings.argon2_memory_cost, settings.argon2_time_cost, settings.argon2_parallelism)
    dummy = _dummy_hashes.get(cost)
    if dummy is None:
        # Two first calls at once may both compute it; either result is as good.
        dummy = await _in_argon2_pool(password_hasher(settings).hash, secrets.token_urlsafe(16))
        _dummy_hashes[cost] = dummy
    return dummy


async def verify_password(
    settings: Settings, password: str, password_hash: str | None, *, urgent: bool = False
) -> bool:
    """One Argon2 verification; against the dummy hash when there is no account (always False).
    `urgent`: ahead of every ordinary hash waiting for the pool (a known device's login)."""
    hasher = password_hasher(settings)
    priority = URGENT if urgent else ORDINARY
    if password_hash is None:
        dummy = await _dummy_hash(settings)
        await _in_argon2_pool(hasher.verify, password, dummy, priority=priority)
        return False
    return await _in_argon2_pool(hasher.verify, password, password_hash, priority=priority)


# --- admission to the hasher: who may wait for the two Argon2 threads, per process
#
# A login waits for the hasher in two lines. First its address's own: at most
# `login_hashing_per_address` attempts of one address are past it at a time (more wait here,
# up to `login_waiting_per_address`; beyond that 429 at once), so one address cannot fill the
# pool's queue. Then the pool's: at most `login_hashing_max` attempts past their lines in all;
# beyond that 503 at once. The queue in front of the two threads therefore never holds more
# than a few hashes, and a real person's login is answered within about
# `login_hashing_max / 2` hash times (~0.6 s at the production cost) whatever else arrives.
HASHER_BUSY = N_("Too many people are logging in right now; please try again in a few seconds")
TOO_MANY_AT_ONCE = N_("Too many login attempts at once; please try again in a few seconds")


@dataclass
class _AddressLine:
    turns: asyncio.Semaphore
    members: int = 0  # waiting or holding a turn


@dataclass
class _HasherGate:
    lines: dict[str, _AddressLine] = field(default_factory=dict)
    admitted: int = 0
    known_devices: set[str] = field(default_factory=set)  # their attempts now past the gate


_gate = _HasherGate()


@asynccontextmanager
async def hasher_turn(
    settings: Settings, address: str | None, *, known_device: str | None = None
) -> AsyncIterator[None]:
    """Hold a turn at the password hasher for one login attempt from `address`; Busy (503) or
    TooManyRequests (429) at once when the lines are full. Everything the attempt does that
    leads to hashing runs inside: waiting attempts re-check their failure counts when their
    turn comes, so a burst cannot hash more than the throttle allows.

    `known_device` (the device token of a browser that logged into this very account before,
    see `known_device_token`) skips the address and pool lines, which an attack from many
    addresses fills: its own line holds one attempt per device and
    `login_hashing_known_devices` in all, and its hash goes ahead of the queue (`urgent`)."""
    if known_device is not None:
        if (
            known_device in _gate.known_devices
            or len(_gate.known_devices) >= settings.login_hashing_known_devices
        ):
            raise TooManyRequests(TOO_MANY_AT_ONCE, retry_after=1)
        _gate.known_devices.add(known_device)
        try:
            yield
        finally:
            _gate.known_devices.discard(known_device)
        return
    if _gate.admitted >= settings.login_hashing_max:
        raise Busy(HASHER_BUSY, retry_after=1)
    key = address or ""
    line = _gate.lines.get(key)
    if line is None:
        line = _gate.lines[key] = _AddressLine(
            asyncio.Semaphore(settings.login_hashing_per_address)
        )
    if line.members >= settings.login_hashing_per_address + settings.login_waiting_per_address:
        raise TooManyRequests(TOO_MANY_AT_ONCE, retry_after=1)
    line.members += 1
    try:
        async with line.turns:
            if _gate.admitted >= settings.login_hashing_max:
                raise Busy(HASHER_BUSY, retry_after=1)
            _gate.admitted += 1
            try:
                yield
            finally:
                _gate.admitted -= 1
    finally:
        line.members -= 1
        if line.members == 0:
            del _gate.lines[key]


def known_device_token(settings: Settings, email: str) -> str:
    """What the known-device cookie holds after a successful login to `email`: the same value
    on every device of the account (so logging in again mints no new ones for an attacker to
    collect), unforgeable without SECRET_KEY, and saying nothing about the e-mail."""
    normalized = email.strip().lower()
    mac = hmac.new(
        settings.effective_secret_key().encode(),
        f"known-device:{normalized}".encode(),
        hashlib.sha256,
    )
    return mac.hexdigest()


def is_known_device(settings: Settings, token: str | None, email: str) -> bool:
    """The browser logged into this account before (its cookie is the account's device token)."""
    return bool(token) and hmac.compare_digest(
        str(token).encode(), known_device_token(settings, email).encode()
    )


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    role: Role
    teacher_id: int | None
    session_id: uuid.UUID
    student_id: int | None = None


def issue_access_token(
    settings: Settings, claims: AccessClaims, *, now: datetime | None = None
) -> str:
    now = now or now_utc()
    payload = {
        "sub": str(claims.user_id),
        "role": claims.role.value,
        "tid": claims.teacher_id,
        "stu": claims.student_id,
        "sid": str(claims.session_id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_expire_minutes)).timestamp()),
        "typ": "access",
    }
    return jwt.encode(payload, settings.effective_secret_key(), algorithm=settings.algorithm)


class InvalidToken(Exception):
    """The token is missing, malformed, forged or expired."""


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token,
            settings.effective_secret_key(),
            algorithms=[settings.algorithm],
            options={"require": ["exp", "sub", "sid", "role"]},
        )
        if payload.get("typ") != "access":
            raise InvalidToken("not an access token")
        teacher_id = payload.get("tid")
        student_id = payload.get("stu")
        return AccessClaims(
            user_id=int(payload["sub"]),
            role=Role(payload["role"]),
            teacher_id=int(teacher_id) if teacher_id is not None else None,
            student_id=int(student_id) if student_id is not None else None,
            session_id=uuid.UUID(payload["sid"]),
        )
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as error:
        raise InvalidToken(str(error)) from error


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """`<session id>.<secret>`: the id finds the session row, only the secret's hash is stored."""

    session_id: uuid.UUID
    secret: str

    @classmethod
    def new(cls, session_id: uuid.UUID) -> RefreshToken:
        return cls(session_id=session_id, secret=secrets.token_urlsafe(32))

    @classmethod
    def parse(cls, value: str) -> RefreshToken:
        session_part, _, secret = value.partition(".")
        try:
            return cls(session_id=uuid.UUID(session_part), secret=secret)
        except ValueError as error:
            raise InvalidToken("malformed refresh token") from error

    def __str__(self) -> str:
        return f"{self.session_id}.{self.secret}"

    @property
    def secret_hash(self) -> str:
        return hashlib.sha256(self.secret.encode()).hexdigest()
