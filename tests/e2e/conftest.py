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
from urllib.parse import urlsplit

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Response, ViewportSize, sync_playwright
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

DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
BLOCKING_IMPACTS = frozenset({"serious", "critical"})

ADMIN_EMAIL = "admin@test.com"
ADMIN_PASSWORD = "YourStrongPassword123!"
# The seed's CLI line, word for word.
CREATE_ADMIN = (
    "create-admin",
    "--email",
    ADMIN_EMAIL,
    "--password",
    ADMIN_PASSWORD,
    "--name",
    "Admin",
    "--surname",
    "User",
    "--second_name",
    "Admin",
    "--birthday",
    "1990-01-01",
)

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
def live_app_env() -> dict[str, str]:
    """More settings for the module's server (a module overrides this, e.g. with SMTP)."""
    return {}


@pytest.fixture(scope="module")
def live_app(
    server_url: URL, tmp_path_factory: pytest.TempPathFactory, live_app_env: dict[str, str]
) -> Iterator[LiveApp]:
    """A scratch database, migrated, and `python -m app.manage serve` running on a free port."""
    name = unique_name("tutor_e2e")
    database_url = _off_the_loop(create_database, server_url, name)
    try:
        _off_the_loop(upgrade_to_head, database_url, make_settings(database_url))
        env = _app_env(database_url)
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        # Links in e-mails point here (used only where SMTP is configured too).
        env.update(PUBLIC_BASE_URL=base_url, **live_app_env)
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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) per test; any server error fails the test."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    server_errors: list[str] = []

    def note_server_error(response: Response) -> None:
        if response.status >= 500:
            server_errors.append(f"{response.status} {response.request.method} {response.url}")

    try:
        page = context.new_page()
        page.on("response", note_server_error)
        yield page
    finally:
        context.close()
    assert not server_errors, f"the server answered with errors: {server_errors}"


# --- checks and steps shared by the journeys. Elements are found by ids, names and hrefs, never
# by visible text: the wording and translations change.

_axe = Axe()


class PageChecks:
    """Runs axe and takes the two screenshots once per distinct page of the journey."""

    def __init__(self, artifacts: Path, prefix: str) -> None:
        self.artifacts = artifacts
        self.prefix = prefix
        self.seen: list[str] = []

    def __call__(self, page: Page, name: str) -> None:
        assert name not in self.seen, f"page {name!r} checked twice"
        self.seen.append(name)
        page.wait_for_load_state("load")
        assert_accessible(page, name)
        stem = f"{self.prefix}-{len(self.seen):02d}-{name}"
        page.screenshot(path=self.artifacts / f"{stem}-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)
        assert_fits(page, name, PHONE["width"])
        page.screenshot(path=self.artifacts / f"{stem}-phone.png", full_page=True)
        page.set_viewport_size(DESKTOP)


def assert_accessible(page: Page, name: str) -> None:
    violations = _axe.run(page).response["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(
            f"    {node['target']}: {node.get('failureSummary', '')}" for node in v["nodes"]
        )
        for v in blocking
    )
    assert not blocking, f"axe on {name} ({page.url}):\n{report}"


# Words longer than this may break anywhere (an e-mail, a link, a pasted hash): no line holds them.
LONGEST_UNBREAKABLE_WORD = 30

# Every word of the page's text, measured where it stands: a word whose text covers more than one
# line box was broken inside (what `overflow-wrap: anywhere` in a narrow column does:
# "Изм/ени/ть"). A word is what lies between spaces and hyphens (a break at a hyphen is a proper
# one); the text of controls (options, text areas) is left out. One Range, reused: ~1 ms per
# thousand words.
_MID_WORD_BREAKS = r"""
(longest) => {
  const skip = "script, style, select, option, textarea, template, noscript";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  const broken = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !node.data.trim() || parent.closest(skip) || !parent.checkVisibility()) continue;
    for (const match of node.data.matchAll(/[^\s\-\u00ad\u2010-\u2014]+/g)) {
      const word = match[0];
      if (word.length < 2 || word.length > longest) continue;
      range.setStart(node, match.index);
      range.setEnd(node, match.index + word.length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
      const lines = new Set(rects.map(r => Math.round(r.top)));
      if (lines.size > 1) {
        const tag = parent.tagName.toLowerCase();
        broken.push(`"${word}" in <${tag} class="${parent.className}"> over ${lines.size} lines`);
      }
    }
  }
  return broken;
}
"""

# The innermost elements whose box ends past the screen's right edge (for the message).
_STICKING_OUT = """
(width) => [...document.body.querySelectorAll("*")]
  .filter(el => el.checkVisibility() && el.getBoundingClientRect().right > width + 0.5)
  .filter(el => ![...el.children].some(child => child.getBoundingClientRect().right > width + 0.5))
  .slice(0, 5)
  .map(el => `<${el.tagName.toLowerCase()} class="${el.className}">`)
"""


def assert_fits(page: Page, name: str, screen_width: int) -> None:
    """Nothing pushes the page wider than the screen (no sideways scrolling on a phone), and no
    word of up to `LONGEST_UNBREAKABLE_WORD` characters is broken over two lines."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= screen_width, (
        f"{name} is {width}px wide on a {screen_width}px screen; sticking out: "
        + ", ".join(page.evaluate(_STICKING_OUT, screen_width))
    )
    # A table may scroll inside its wrapper as a last resort; with the journeys' data none should.
    hidden = page.evaluate(
        "() => [...document.querySelectorAll('.table-wrap')]"
        ".map(wrap => wrap.scrollWidth - wrap.clientWidth).filter(extra => extra > 0)"
    )
    assert not hidden, f"{name}: tables scroll sideways by {hidden}px on a {screen_width}px screen"
    broken = page.evaluate(_MID_WORD_BREAKS, LONGEST_UNBREAKABLE_WORD)
    assert not broken, (
        f"{name}: words broken inside on a {screen_width}px screen ({page.url}):\n"
        + "\n".join(broken)
    )


def bearer(app: LiveApp, email: str, password: str) -> dict[str, str]:
    """Log in through the JSON API (the journeys' set-up): the Authorization header."""
    response = httpx.post(
        app.url("/api/v1/auth/login"), json={"email": email, "password": password}, timeout=30
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def submit_main_form(page: Page) -> None:
    page.locator("main form button[type=submit]").click()


def log_in(page: Page, app: LiveApp, email: str, password: str) -> None:
    assert path_of(page) == "/auth/login", page.url
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(password)
    submit_main_form(page)
    page.wait_for_url(app.url("/dashboard"))


def log_out(page: Page, app: LiveApp) -> None:
    page.locator('header form[action="/auth/logout"] button[type=submit]').click()
    page.wait_for_url(app.url("/auth/login"))


def follow_nav(page: Page, app: LiveApp, href: str) -> None:
    page.locator(f'header nav a[href="{href}"]').click()
    page.wait_for_url(app.url(href))
