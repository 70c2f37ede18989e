"""Passwords (Argon2 via pwdlib, hashed off the event loop) and tokens (JWT access, refresh)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.clock import now_utc
from app.core.config import Settings
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


async def _in_argon2_pool(function: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_argon2_pool, function, *args)


async def hash_password(settings: Settings, password: str) -> str:
    return await _in_argon2_pool(password_hasher(settings).hash, password)


# A well-formed hash of a random password: verifying against it costs the same as a real check,
# so an unknown e-mail answers as slowly as a wrong password.
_DUMMY_PASSWORD = secrets.token_urlsafe(16)


async def verify_password(settings: Settings, password: str, password_hash: str | None) -> bool:
    hasher = password_hasher(settings)
    if password_hash is None:
        dummy = await _in_argon2_pool(hasher.hash, _DUMMY_PASSWORD)
        await _in_argon2_pool(hasher.verify, password, dummy)
        return False
    return await _in_argon2_pool(hasher.verify, password, password_hash)


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
