"""A login attack on loopback, and what a real person's login costs meanwhile.

    python -m bench.login_attack                       # start the app (production Argon2 cost)
    python -m bench.login_attack --source /tmp/old     # the same against another checkout
    python -m bench.login_attack --url http://127.0.0.1:8000 --email a@b.c --password ...

Without --url it creates a scratch database on the bench's PostgreSQL (`bench.pgserver`),
migrates it, creates one teacher, and serves the app with uvicorn on 127.0.0.1 (production
settings, one worker) from `--source` (default: this checkout). Then, for each scenario,
`--attackers` clients fire wrong logins back to back for `--seconds` while the real teacher logs
in every 0.3 s, and it prints the attackers' answers and the real logins' latency.

Scenarios (fake addresses in X-Forwarded-For; uvicorn trusts it from 127.0.0.1, its default
`--forwarded-allow-ips`): `many` — every attempt from a fresh address, so only the hasher's
bounded queue protects (beyond it: 503 at once, for the real person too); `several` — five
addresses, refused by the per-address limit after `LOGIN_MAX_FAILURES` failures each; `one` —
a single address. The real person logs in from an address of their own, twice over: from a new
browser each time, and from their own browser (which logged in before the attack and keeps the
known-device cookie). Loopback only; bounded by the attackers and the seconds given.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.core.actor import Actor
from app.core.config import PROJECT_ROOT, Environment, Settings
from app.core.cookies import CSRF_COOKIE, CSRF_HEADER, KNOWN_DEVICE_COOKIE
from app.core.database import Database
from app.core.migrations import upgrade_to_head
from app.models.users import Role
from app.schemas.accounts import TeacherCreate
from app.services.admin import teachers as teacher_service
from bench.pgserver import BenchServer, create_database, drop_database, start_server
from bench.run import wait_healthy

DATABASE = "tutor_login_attack"
APP_ROLE = "tutor_app"
EMAIL = "real.teacher@example.com"
PASSWORD = "Real-Teacher-Password-1!"  # noqa: S105 - the benchmark's own account
REAL_ADDRESS = "192.0.2.200"
LOG = PROJECT_ROOT / "var" / "login_attack.log"


@dataclass
class Outcome:
    scenario: str
    attacks: Counter[int] = field(default_factory=Counter)
    real: list[tuple[float, int]] = field(default_factory=list)  # from a new browser
    returning: list[tuple[float, int]] = field(default_factory=list)  # from their own browser

    def line(self) -> str:
        return (
            f"{self.scenario:<8} attacks: {sum(self.attacks.values()):>5} "
            f"{dict(sorted(self.attacks.items()))!s:<32}\n"
            f"         new browser:  {_latency(self.real)}\n"
            f"         own browser:  {_latency(self.returning)}"
        )


def _latency(results: list[tuple[float, int]]) -> str:
    if not results:
        return "no logins"
    times = sorted(t for t, _ in results)
    statuses = Counter(status for _, status in results)
    p95 = times[max(0, round(len(times) * 0.95) - 1)]
    return (
        f"{len(times):>3} logins {dict(statuses)!s:<18} median {statistics.median(times):.2f} s,"
        f" p95 {p95:.2f} s, max {times[-1]:.2f} s"
    )


async def login(client: httpx.AsyncClient, email: str, password: str, address: str) -> int:
    headers = {"X-Forwarded-For": address}
    if CSRF_COOKIE in client.cookies:
        headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
    response = await client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers=headers
    )
    return response.status_code


async def real_logins(
    url: str, email: str, password: str, until: float, *, own_browser: bool = False
) -> list[tuple[float, int]]:
    """A person logging in every 0.3 s: from a fresh browser each time (no cookies), or from
    their own browser, which logged in before and keeps only its known-device cookie."""
    results = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as browser:
        if own_browser:
            await login(browser, email, password, REAL_ADDRESS)  # before the attack
        # What a browser keeps after logging out (both cookies live a year).
        kept = {
            name: browser.cookies[name]
            for name in (KNOWN_DEVICE_COOKIE, CSRF_COOKIE)
            if name in browser.cookies
        }
        await asyncio.sleep(0.5)
        while time.monotonic() < until:
            browser.cookies.clear()  # logged out since
            for name, value in kept.items():
                browser.cookies.set(name, value)
            started = time.monotonic()
            status = await login(browser, email, password, REAL_ADDRESS)
            results.append((time.monotonic() - started, status))
            await asyncio.sleep(0.3)
    return results


async def attacker(url: str, addresses: Iterator[str], until: float, seen: Counter[int]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        while time.monotonic() < until:
            client.cookies.clear()  # no CSRF cookie: a script's first request, every time
            email = f"victim{secrets.randbelow(10**6)}@example.com"
            seen[await login(client, email, "Wrong-Password-0!", next(addresses))] += 1


def fresh_addresses() -> Iterator[str]:
    for n in itertools.count(1):
        yield f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


async def scenario(name: str, url: str, args: argparse.Namespace) -> Outcome:
    outcome = Outcome(name)
    addresses = {
        "many": fresh_addresses(),
        "several": itertools.cycle([f"203.0.113.{n}" for n in range(1, 6)]),
        "one": itertools.repeat("203.0.113.66"),
    }[name]
    until = time.monotonic() + args.seconds
    # The returning person's browser logs in once before the attack starts.
    returning = asyncio.create_task(
        real_logins(url, args.email, args.password, until, own_browser=True)
    )
    await asyncio.sleep(0.5)
    attackers = [
        asyncio.create_task(attacker(url, addresses, until, outcome.attacks))
        for _ in range(args.attackers)
    ]
    outcome.real = await real_logins(url, args.email, args.password, until)
    outcome.returning = await returning
    await asyncio.gather(*attackers)
    return outcome


async def quiet(url: str, args: argparse.Namespace) -> Outcome:
    outcome = Outcome("quiet")
    until = time.monotonic() + 3
    returning = asyncio.create_task(
        real_logins(url, args.email, args.password, until, own_browser=True)
    )
    outcome.real = await real_logins(url, args.email, args.password, until)
    outcome.returning = await returning
    return outcome


# --- the server, when none is given


def _settings(server: BenchServer) -> Settings:
    return Settings.model_validate(
        {
            "environment": Environment.PRODUCTION,
            "database_url": server.dsn(DATABASE),
            "app_database_url": server.dsn(DATABASE, APP_ROLE),
            "secret_key": secrets.token_urlsafe(48),
        }
    )


async def _create_teacher(settings: Settings, server: BenchServer) -> None:
    database = Database.connect(settings.app_database_url_for(server.owner_url(DATABASE)), settings)
    admin = Actor(role=Role.SUPERUSER, user_id=0)
    try:
        async with database.transaction(admin) as session:
            data = TeacherCreate(email=EMAIL, password=PASSWORD, name="Real", surname="Teacher")
            await teacher_service.create_teacher(session, admin, settings, data)
    finally:
        await database.dispose()


@contextmanager
def serve(settings: Settings, source: Path, port: int) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "APP_DB", "DATABASE"))}
    env.update(
        ENVIRONMENT="production",
        SECRET_KEY=settings.secret_key.get_secret_value(),
        DATABASE_URL=str(settings.database_url),
        APP_DATABASE_URL=str(settings.app_database_url),
        JOBS_WORKER_IN_SERVER="false",
        PYTHONWARNINGS="ignore",
    )
    command = [
        sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning",
        "--forwarded-allow-ips", "127.0.0.1",
    ]  # fmt: skip
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(LOG, "ab") as log:
        process = subprocess.Popen(command, cwd=source, env=env, stdout=log, stderr=log)  # noqa: S603
        try:
            wait_healthy(port, process, str(LOG))
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


async def run(url: str, args: argparse.Namespace) -> None:
    print(f"{args.attackers} attackers for {args.seconds} s each; real logins every 0.3 s")
    outcomes = [await quiet(url, args)]
    for name in args.scenarios:
        outcomes.append(await scenario(name, url, args))
    for outcome in outcomes:
        print(outcome.line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server on 127.0.0.1 (default: start one)")
    parser.add_argument("--email", default=EMAIL)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--source", type=Path, default=PROJECT_ROOT, help="checkout to serve")
    parser.add_argument("--port", type=int, default=8793)
    parser.add_argument("--attackers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument(
        "--scenarios",
        nargs="+",
        default=["many", "several", "one"],
        choices=["many", "several", "one"],
    )
    args = parser.parse_args()
    args.attackers = min(args.attackers, 200)
    args.seconds = min(args.seconds, 60.0)
    if args.url:
        if not args.url.startswith(("http://127.0.0.1", "http://localhost")):
            raise SystemExit("loopback only")
        asyncio.run(run(args.url, args))
        return
    server = start_server()
    asyncio.run(drop_database(server, DATABASE))
    asyncio.run(create_database(server, DATABASE))
    try:
        settings = _settings(server)
        upgrade_to_head(server.owner_url(DATABASE), settings)
        asyncio.run(_create_teacher(settings, server))
        with serve(settings, args.source, args.port) as url:
            print(f"serving {args.source} on {url}")
            asyncio.run(run(url, args))
    finally:
        asyncio.run(drop_database(server, DATABASE))


if __name__ == "__main__":
    main()
