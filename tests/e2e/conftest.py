"""Browser journeys: the real app started as a person would (`python -m app.manage serve`) on a
scratch database, driven by Playwright through Debian's Chromium.

Everything here is synchronous on purpose: Playwright's sync API refuses to run inside a running
event loop, and pytest-asyncio only starts one for async tests and fixtures.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.engine import URL

from app.core.config import PROJECT_ROOT
from app.core.migrations import upgrade_to_head
from tests.conftest import make_settings
from tests.db_server import create_database, drop_database, unique_name

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
T = TypeVar("T")

STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 15.0
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "e2e"

# Variables of the test runner's shell that would point the app somewhere else.
_APP_VARIABLES = (
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "APP_DATABASE_URL",
    "DB_USER",
    "DB_PASSWORD",
    "DB_HOST",
    "DB_PORT",
    "DB_NAME",
    "PORT",
)


@dataclass(frozen=True)
class LiveApp:
    base_url: str
    env: dict[str, str]

    def url(self, path: str) -> str:
        return self.base_url + path

    def manage(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run `python -m app.manage ...` with the server's environment, as a person would."""
        return subprocess.run(
            [sys.executable, "-m", "app.manage", *args],
            env=self.env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _off_the_loop(function: Callable[..., T], *args: object) -> T:
    """Run database set-up in a fresh thread: once Playwright's sync API has started (the browser
    fixture may be set up first), this thread counts as running an event loop and
    `asyncio.run()` would refuse."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _app_env(database_url: URL) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _APP_VARIABLES}
    env.update(
        DATABASE_URL=database_url.render_as_string(hide_password=False),
        SECRET_KEY=secrets.token_urlsafe(36)[:48],
        ENVIRONMENT="test",
        ARGON2_MEMORY_COST="19456",
        ARGON2_TIME_COST="2",
        ARGON2_PARALLELISM="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_until_up(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the server exited with {process.returncode} before answering:\n"
                + log_path.read_text(errors="replace")
            )
        try:
            if httpx.get(base_url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(
        f"the server did not answer /healthz within {STARTUP_TIMEOUT:.0f} s:\n"
        + log_path.read_text(errors="replace")
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def live_app(server_url: URL, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """A scratch database, migrated, and `python -m app.manage serve` running on a free port."""
    name = unique_name("tutor_e2e")
    database_url = _off_the_loop(create_database, server_url, name)
    try:
        _off_the_loop(upgrade_to_head, database_url, make_settings(database_url))
        env = _app_env(database_url)
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = tmp_path_factory.mktemp("e2e") / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "app.manage", "serve", "--port", str(port)],
                env=env,
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_up(process, base_url, log_path)
            yield LiveApp(base_url=base_url, env=env)
        finally:
            _stop(process)
    finally:
        _off_the_loop(drop_database, server_url, name)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope, not session: while Playwright's sync API is active the main thread counts as
    # running an event loop, and pytest-asyncio could not run the async tests collected after us.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
