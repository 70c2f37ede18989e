"""Password reset by e-mail, as a person does it: "Forgot your password?" on the login page, the
e-mail form, the mail (sent by the server's own job worker to a local aiosmtpd server), the link,
the new password, and logging in with it. Every page is checked with axe and at 390 px."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page

from tests.e2e.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CREATE_ADMIN,
    LiveApp,
    PageChecks,
    log_in,
    path_of,
    submit_main_form,
)

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Admin-Reset-2026!"
LINK = re.compile(r"http://127\.0\.0\.1:\d+(/auth/reset/[^\s\"'<>]+)")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def live_app_env(inbox: tuple[Inbox, int]) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(inbox[1]),
        "SMTP_FROM": "Tutor Platform <noreply@tutor.test>",
        "SMTP_STARTTLS": "false",
    }


def _wait_for_link(handler: Inbox, address: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in handler.messages:
            if message["To"] == address and (found := LINK.search(str(message.get_content()))):
                return found.group(1)
        time.sleep(0.2)
    pytest.fail(f"no reset mail for {address} within {timeout:.0f} s")


def test_forgotten_password_reset_by_email(
    live_app: LiveApp, inbox: tuple[Inbox, int], page: Page, artifacts_dir: Path
) -> None:
    app, (handler, _port) = live_app, inbox
    check = PageChecks(artifacts_dir, "reset")
    created = app.manage(*CREATE_ADMIN)
    assert created.returncode == 0, created.stdout + created.stderr

    # The login page offers the reset, because mail is configured.
    page.goto(app.url("/auth/login"))
    page.locator("#forgot-password").click()
    page.wait_for_url(app.url("/auth/reset"))
    check(page, "request")

    # The answer does not say whether the e-mail exists; the mail arrives in Russian.
    page.locator("#field-email").fill(ADMIN_EMAIL)
    submit_main_form(page)
    page.wait_for_url(app.url("/auth/login"))
    answer = page.locator("main").inner_text()
    link = _wait_for_link(handler, ADMIN_EMAIL)
    mail = next(m for m in handler.messages if m["To"] == ADMIN_EMAIL)
    assert re.search("[А-Яа-я]", str(mail["Subject"]) + str(mail.get_content()))

    page.goto(app.url("/auth/reset"))
    page.locator("#field-email").fill("nobody@test.com")
    submit_main_form(page)
    page.wait_for_url(app.url("/auth/login"))
    assert page.locator("main").inner_text() == answer

    # The link opens the new-password form; the new password works, the old one no longer.
    page.goto(app.url(link))
    check(page, "confirm")
    page.locator("#field-new_password").fill(NEW_PASSWORD)
    submit_main_form(page)
    page.wait_for_url(app.url("/auth/login"))
    log_in(page, app, ADMIN_EMAIL, NEW_PASSWORD)
    old = httpx.post(
        app.url("/api/v1/auth/login"),
        json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        timeout=30,
    )
    assert old.status_code == 401

    # A used link is refused, in words, with the way to a new one.
    page.context.clear_cookies()
    page.goto(app.url(link))
    assert path_of(page) == link
    check(page, "used-link")
    assert page.locator("#reset-link-invalid").is_visible()
    assert page.locator("#field-new_password").count() == 0
