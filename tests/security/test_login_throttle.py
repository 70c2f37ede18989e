"""Login abuse limits: failures counted per account and per address in PostgreSQL (so they
survive the refused request and hold across processes), 429 with Retry-After without hashing,
the hasher's bounded queue, the audit of every attempt, and an unknown e-mail costing what a
wrong password costs."""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.core import security
from app.core.actor import Actor
from app.core.config import Settings
from app.core.cookies import CSRF_COOKIE, CSRF_HEADER, KNOWN_DEVICE_COOKIE
from app.core.database import Database
from app.core.errors import Busy, TooManyRequests
from app.core.i18n import gettext_for
from app.models.users import Role
from app.services.auth import login as login_service
from app.services.auth.login import TOO_MANY_ATTEMPTS
from tests.conftest import PASSWORD, People

LOGIN = "/api/v1/auth/login"
WRONG = PASSWORD + "x"
LIMIT = 10  # the default login_max_failures


@pytest.fixture
async def client_from(app: FastAPI) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """A browser at a given client address (what uvicorn puts in the ASGI scope)."""
    clients: list[httpx.AsyncClient] = []

    def factory(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        c = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(c)
        return c

    yield factory
    for c in clients:
        await c.aclose()


async def json_login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    """The JSON login, echoing the CSRF cookie once the client holds one (as scripts do)."""
    token = client.cookies.get(CSRF_COOKIE)
    headers = {CSRF_HEADER: token} if token else {}
    return await client.post(LOGIN, json={"email": email, "password": password}, headers=headers)


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many password verifications the login ran (one entry per run)."""
    runs: list[int] = []
    verify = login_service.verify_password

    async def counting(*args: object, **kwargs: object) -> bool:
        runs.append(1)
        return await verify(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(login_service, "verify_password", counting)
    return runs


async def events(
    database: Database, event: str, *, addresses: tuple[str, ...] = ("198.51.100.23", "10.0.0.%")
) -> list[tuple[int | None, str | None]]:
    """The test's own events: from its addresses only (a test elsewhere that commits, such as
    tests/lms/test_stale_edits.py, leaves its logins from 127.0.0.1 in the audit log)."""
    async with database.transaction(Actor.system()) as session:
        rows = await session.execute(
            text(
                "SELECT subject_user_id, ip_address FROM audit_events"
                " WHERE event = :e AND ip_address LIKE ANY (CAST(:addresses AS text[]))"
                " ORDER BY id"
            ),
            {"e": event, "addresses": list(addresses)},
        )
        return [(row.subject_user_id, row.ip_address) for row in rows]


# --- per account ---------------------------------------------------------------------------------


async def test_the_eleventh_wrong_password_is_429_and_the_right_one_too_without_hashing(
    client_from: Callable[[str], httpx.AsyncClient], people: People, hashes: list[int]
) -> None:
    teacher = await people.teacher()
    # Each attempt from an address of its own: only the account's counter can refuse.
    for n in range(LIMIT):
        response = await json_login(client_from(f"10.0.0.{n}"), teacher.email, WRONG)
        assert response.status_code == 401, (n, response.text)
    assert len(hashes) == LIMIT

    refused = await json_login(client_from("10.0.1.1"), teacher.email, WRONG)
    right_one = await json_login(client_from("10.0.1.2"), teacher.email, PASSWORD)

    for response in (refused, right_one):
        assert response.status_code == 429, response.text
        assert response.json()["code"] == "too_many_requests"
        assert 0 < int(response.headers["retry-after"]) <= 15 * 60
        assert "access_token" not in response.cookies
    assert len(hashes) == LIMIT  # refused attempts never reach the hasher


async def test_an_unknown_email_is_throttled_like_a_real_one(
    client_from: Callable[[str], httpx.AsyncClient],
) -> None:
    for n in range(LIMIT):
        response = await json_login(client_from(f"10.0.0.{n}"), "nobody@example.com", WRONG)
        assert response.status_code == 401
    refused = await json_login(client_from("10.0.1.1"), " NoBody@Example.com ", WRONG)
    assert refused.status_code == 429


async def test_a_successful_login_resets_the_account_counter(
    client_from: Callable[[str], httpx.AsyncClient], people: People
) -> None:
    teacher = await people.teacher()
    for n in range(LIMIT - 1):
        assert (
            await json_login(client_from(f"10.0.0.{n}"), teacher.email, WRONG)
        ).status_code == 401
    assert (await json_login(client_from("10.0.1.1"), teacher.email, PASSWORD)).status_code == 200

    # A fresh allowance: without the reset the second of these would be refused.
    for n in range(LIMIT):
        response = await json_login(client_from(f"10.0.2.{n}"), teacher.email, WRONG)
        assert response.status_code == 401, (n, response.text)
    assert (await json_login(client_from("10.0.3.1"), teacher.email, WRONG)).status_code == 429


async def test_the_window_passes_and_attempts_are_allowed_again(
    client_from: Callable[[str], httpx.AsyncClient], people: People, database: Database
) -> None:
    teacher = await people.teacher()
    for n in range(LIMIT + 1):
        await json_login(client_from(f"10.0.0.{n}"), teacher.email, WRONG)
    async with database.transaction(Actor.system()) as session:
        await session.execute(
            text("UPDATE login_throttle SET window_started_at = now() - interval '16 minutes'")
        )

    assert (await json_login(client_from("10.0.1.1"), teacher.email, PASSWORD)).status_code == 200


# --- per address ---------------------------------------------------------------------------------


async def test_ten_failures_from_one_address_refuse_its_next_login_whatever_the_account(
    client_from: Callable[[str], httpx.AsyncClient], people: People, hashes: list[int]
) -> None:
    teacher = await people.teacher()
    attacker = client_from("203.0.113.7")
    for n in range(LIMIT):
        response = await json_login(attacker, f"guess{n}@example.com", WRONG)
        assert response.status_code == 401

    refused = await json_login(attacker, teacher.email, PASSWORD)
    elsewhere = await json_login(client_from("198.51.100.1"), teacher.email, PASSWORD)

    assert refused.status_code == 429
    assert elsewhere.status_code == 200  # the account itself is not locked
    assert len(hashes) == LIMIT + 1


async def test_successful_logins_do_not_use_up_the_address(
    client_from: Callable[[str], httpx.AsyncClient], people: People
) -> None:
    """A school behind one address: many people log in, none of them is a failure."""
    teachers = [await people.teacher() for _ in range(LIMIT + 2)]
    school = client_from("192.0.2.10")
    for teacher in teachers:
        response = await json_login(school, teacher.email, PASSWORD)
        assert response.status_code == 200, response.text


# --- the counts survive the refused requests (today: 30 wrong passwords all 401) -----------------


async def test_thirty_wrong_passwords_in_a_row_do_not_all_get_401(
    client: httpx.AsyncClient, people: People
) -> None:
    teacher = await people.teacher()
    statuses = [(await json_login(client, teacher.email, WRONG)).status_code for _ in range(30)]
    assert statuses == [401] * LIMIT + [429] * (30 - LIMIT)
    assert (await json_login(client, teacher.email, PASSWORD)).status_code == 429


# --- the HTML login ------------------------------------------------------------------------------


async def test_the_login_page_says_how_long_to_wait_with_429(
    client: httpx.AsyncClient, people: People, settings: Settings, hashes: list[int]
) -> None:
    teacher = await people.teacher()
    await client.get("/auth/login")
    form = {"email": teacher.email, "password": WRONG}
    for _ in range(LIMIT):
        form["csrf_token"] = client.cookies[CSRF_COOKIE]
        assert (await client.post("/auth/login", data=form)).status_code == 401

    form["password"] = PASSWORD
    form["csrf_token"] = client.cookies[CSRF_COOKIE]
    response = await client.post("/auth/login", data=form)

    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 15 * 60
    expected = gettext_for(settings.default_language, TOO_MANY_ATTEMPTS).format(minutes=15)
    assert expected in response.text
    assert re.search(r"15\s", expected)
    assert "access_token" not in client.cookies
    assert len(hashes) == LIMIT


# --- the audit log and the session row -----------------------------------------------------------


async def test_every_attempt_is_audited_with_its_address(
    client_from: Callable[[str], httpx.AsyncClient], people: People, database: Database
) -> None:
    teacher = await people.teacher()
    browser = client_from("198.51.100.23")
    assert (await json_login(browser, teacher.email, WRONG)).status_code == 401
    assert (await json_login(browser, "nobody@example.com", WRONG)).status_code == 401
    assert (await json_login(browser, teacher.email, PASSWORD)).status_code == 200
    for n in range(LIMIT + 1):
        await json_login(client_from(f"10.0.0.{n}"), teacher.email, WRONG)

    assert (await events(database, "login_failed"))[:2] == [
        (teacher.id, "198.51.100.23"),
        (None, "198.51.100.23"),
    ]
    assert await events(database, "login_succeeded") == [(teacher.id, "198.51.100.23")]
    assert await events(database, "login_throttled") == [(teacher.id, "10.0.0.10")]


async def test_the_session_row_keeps_the_address_and_renewal_updates_last_use(
    client_from: Callable[[str], httpx.AsyncClient], people: People, database: Database
) -> None:
    teacher = await people.teacher()
    browser = client_from("198.51.100.42")
    response = await json_login(browser, teacher.email, PASSWORD)
    assert response.status_code == 200
    async with database.transaction(Actor.system()) as session:
        await session.execute(
            text("UPDATE auth_sessions SET last_used_at = now() - interval '1 hour'")
        )

    renewed = await browser.post(
        "/api/v1/auth/refresh", headers={CSRF_HEADER: browser.cookies[CSRF_COOKIE]}
    )

    assert renewed.status_code == 200, renewed.text
    async with database.transaction(Actor.system()) as session:
        row = (
            await session.execute(
                text(
                    "SELECT ip_address, now() - last_used_at < interval '1 minute' AS fresh"
                    " FROM auth_sessions WHERE user_id = :u"
                ),
                {"u": teacher.id},
            )
        ).one()
    assert (row.ip_address, row.fresh) == ("198.51.100.42", True)


async def test_the_counters_are_visible_to_the_system_actor_only(
    client: httpx.AsyncClient, people: People, database: Database
) -> None:
    teacher = await people.teacher()
    await json_login(client, teacher.email, WRONG)
    counts = {}
    for name, actor in {
        "system": Actor.system(),
        "teacher": Actor(user_id=teacher.id, role=Role.TEACHER, teacher_id=teacher.id),
        "anonymous": Actor.anonymous(),
    }.items():
        async with database.transaction(actor) as session:
            counts[name] = (
                await session.execute(text("SELECT count(*) FROM login_throttle"))
            ).scalar()
    assert counts == {"system": 2, "teacher": 0, "anonymous": 0}


# --- the hasher's lines --------------------------------------------------------------------------


async def test_one_address_holds_at_most_its_turns_and_a_short_line(settings: Settings) -> None:
    limits = settings.model_copy(
        update={"login_hashing_per_address": 1, "login_waiting_per_address": 1}
    )
    release = asyncio.Event()
    entered: list[str] = []

    async def attempt(address: str) -> None:
        async with security.hasher_turn(limits, address):
            entered.append(address)
            await release.wait()

    first = asyncio.create_task(attempt("10.0.0.1"))
    second = asyncio.create_task(attempt("10.0.0.1"))  # waits its turn
    other = asyncio.create_task(attempt("10.0.0.2"))  # another address goes straight in
    await asyncio.sleep(0.01)
    assert sorted(entered) == ["10.0.0.1", "10.0.0.2"]
    with pytest.raises(TooManyRequests):
        await attempt("10.0.0.1")  # its line is full: refused at once

    release.set()
    await asyncio.gather(first, second, other)
    assert entered.count("10.0.0.1") == 2


async def test_the_hasher_refuses_at_once_when_its_queue_is_full(settings: Settings) -> None:
    limits = settings.model_copy(update={"login_hashing_max": 2})
    release = asyncio.Event()

    async def attempt(address: str) -> None:
        async with security.hasher_turn(limits, address):
            await release.wait()

    holders = [asyncio.create_task(attempt(f"10.0.0.{n}")) for n in range(2)]
    await asyncio.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(Busy) as refused:
        await attempt("10.0.0.9")
    assert time.monotonic() - started < 0.1
    assert refused.value.retry_after >= 1
    release.set()
    await asyncio.gather(*holders)
    await attempt("10.0.0.9")  # room again


async def log_out(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/logout", headers={CSRF_HEADER: client.cookies[CSRF_COOKIE]}
    )
    assert response.status_code == 204


# --- known devices: the account's own browsers are neither locked out nor queued behind attacks


async def test_a_known_device_logs_in_while_the_account_is_locked_for_other_browsers(
    client_from: Callable[[str], httpx.AsyncClient], people: People
) -> None:
    teacher = await people.teacher()
    own_browser = client_from("192.0.2.10")
    assert (await json_login(own_browser, teacher.email, PASSWORD)).status_code == 200
    assert own_browser.cookies.get(KNOWN_DEVICE_COOKIE)
    await log_out(own_browser)

    # An attack locks the account for every browser it has not been used in ...
    for n in range(LIMIT):
        attack = await json_login(client_from(f"10.0.0.{n}"), teacher.email, WRONG)
        assert attack.status_code == 401
    stranger = await json_login(client_from("10.0.1.1"), teacher.email, PASSWORD)
    assert stranger.status_code == 429
    # ... and for the owner's shared address, but not for the owner's own browser.
    neighbour = await json_login(client_from("192.0.2.10"), "x" + teacher.email, WRONG)
    assert neighbour.status_code == 401
    assert (await json_login(own_browser, teacher.email, PASSWORD)).status_code == 200


async def test_a_known_device_has_its_own_allowance_of_failures(
    client_from: Callable[[str], httpx.AsyncClient], people: People, hashes: list[int]
) -> None:
    teacher = await people.teacher()
    browser = client_from("192.0.2.20")
    assert (await json_login(browser, teacher.email, PASSWORD)).status_code == 200
    await log_out(browser)
    hashes.clear()
    for n in range(LIMIT):
        assert (await json_login(browser, teacher.email, WRONG)).status_code == 401, n
    assert (await json_login(browser, teacher.email, PASSWORD)).status_code == 429
    assert len(hashes) == LIMIT


async def test_the_device_cookie_counts_only_for_its_own_account(
    client_from: Callable[[str], httpx.AsyncClient], people: People, settings: Settings
) -> None:
    teacher, other = await people.teacher(), await people.teacher()
    assert security.is_known_device(
        settings, security.known_device_token(settings, teacher.email), f" {teacher.email.upper()}"
    )
    assert not security.is_known_device(
        settings, security.known_device_token(settings, teacher.email), other.email
    )
    assert not security.is_known_device(settings, "0" * 64, teacher.email)
    assert not security.is_known_device(settings, None, teacher.email)

    browser = client_from("192.0.2.30")
    assert (await json_login(browser, teacher.email, PASSWORD)).status_code == 200
    await log_out(browser)
    # The other account is locked for unknown browsers; this browser is one of those for it.
    for n in range(LIMIT):
        await json_login(client_from(f"10.0.3.{n}"), other.email, WRONG)
    assert (await json_login(browser, other.email, PASSWORD)).status_code == 429


async def test_a_known_device_passes_a_full_hasher_gate(settings: Settings) -> None:
    limits = settings.model_copy(update={"login_hashing_max": 0, "login_hashing_known_devices": 1})
    with pytest.raises(Busy):
        async with security.hasher_turn(limits, "10.0.0.1"):
            pass
    release = asyncio.Event()

    async def known(device: str) -> None:
        async with security.hasher_turn(limits, "10.0.0.1", known_device=device):
            await release.wait()

    holder = asyncio.create_task(known("device-a"))
    await asyncio.sleep(0.01)
    with pytest.raises(TooManyRequests):  # its line holds one attempt per device, one in all
        await known("device-b")
    release.set()
    await holder


async def test_urgent_hashes_go_ahead_of_every_waiting_ordinary_one() -> None:
    slots = security._PrioritySlots(1)
    order: list[str] = []
    await slots.acquire(security.ORDINARY)  # the one thread is busy

    async def wait_then_note(name: str, priority: int) -> None:
        await slots.acquire(priority)
        order.append(name)
        slots.release()

    waiters = [
        asyncio.create_task(wait_then_note(f"attack-{n}", security.ORDINARY)) for n in range(3)
    ]
    await asyncio.sleep(0.01)
    waiters.append(asyncio.create_task(wait_then_note("owner", security.URGENT)))
    cancelled = asyncio.create_task(wait_then_note("gone", security.URGENT))
    await asyncio.sleep(0.01)
    cancelled.cancel()
    slots.release()
    await asyncio.gather(*waiters)
    assert order == ["owner", "attack-0", "attack-1", "attack-2"]
    assert slots.free == 1 and not [w for w in slots.waiting if not w[2].done()]


# --- timing: an unknown e-mail costs one Argon2 run, like a wrong password ------------------------


async def test_an_unknown_email_costs_the_same_as_a_wrong_password(settings: Settings) -> None:
    real_hash = await security.hash_password(settings, PASSWORD)
    await security.verify_password(settings, WRONG, None)  # the dummy hash is made once, lazily

    async def timed(password_hash: str | None) -> float:
        # The process's CPU time, not the wall clock: what the check costs, whatever else the
        # (shared, 2-core) host is busy with. Two Argon2 runs cost twice one.
        started = time.process_time()
        assert not await security.verify_password(settings, WRONG, password_hash)
        return time.process_time() - started

    ratios = []
    for _ in range(3):  # a busy host can spoil one measurement, not three in a row
        wrong, unknown = [], []
        for _ in range(15):  # interleaved, so drifts in the host's load hit both alike
            wrong.append(await timed(real_hash))
            unknown.append(await timed(None))
        ratios.append(statistics.median(unknown) / statistics.median(wrong))
        if abs(ratios[-1] - 1) < 0.10:
            break
    assert abs(ratios[-1] - 1) < 0.10, ratios  # two Argon2 runs made it ~2.0
