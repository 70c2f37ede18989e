"""Password reset by e-mail, end to end: the request answers the same for any e-mail, a real
worker makes the link and mails it to a local SMTP server (aiosmtpd on 127.0.0.1), the link
sets the new password once, and every old login ends.

The worker reads on connections of its own, so these tests use the jobs tests' committed
database (tests/jobs/conftest.py) and delete the accounts they made afterwards.
"""

# The jobs tests' fixtures are imported by name below; pytest then passes them as arguments,
# which ruff would read as redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import email
import email.policy
import hashlib
import re
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import jobs
from app.core.config import Settings
from app.core.cookies import CSRF_COOKIE, CSRF_FORM_FIELD, CSRF_HEADER
from app.core.database import Database
from app.core.i18n import gettext_for
from app.main import create_app
from app.services.auth.password_reset import (
    INVALID_LINK,
    MAIL_SUBJECT,
    REQUESTS_PER_HOUR,
    RESET_REQUESTED,
    RESET_UNAVAILABLE,
)
from tests.conftest import PASSWORD, People, login_as
from tests.db_server import unique_name
from tests.jobs.conftest import (  # noqa: F401 - fixtures used by name
    app_url,
    committed,
    empty_queue,
    job_rows,
    jobs_owner_url,
    jobs_settings,
    owner_engine,
)

REQUEST = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW_PASSWORD = "Reset-Chosen-2025!"
BASE_URL = "http://testserver"
LINK = re.compile(re.escape(BASE_URL) + r"(/auth/reset/[0-9a-f]{32}\.[A-Za-z0-9_-]+)")
TASK = "auth.send_password_reset"


@dataclass
class Inbox:
    """What the local SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"

    def links_to(self, address: str) -> list[str]:
        return [
            match.group(1)
            for message in self.messages
            if message["To"] == address
            for match in [LINK.search(str(message.get_content()))]
            if match
        ]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(jobs_settings: Settings, inbox: tuple[Inbox, int]) -> Settings:
    return jobs_settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": inbox[1],
            "smtp_from": "Tutor Platform <noreply@tutor.test>",
            "smtp_starttls": False,
            "public_base_url": BASE_URL,
            "argon2_memory_cost": 1024,
            "argon2_time_cost": 1,
        }
    )


@pytest.fixture
async def web(mail_settings: Settings, committed: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(mail_settings, committed))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        # A browser that has opened the login page: its scripts echo the CSRF cookie.
        await client.get("/auth/login")
        client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
        yield client


@dataclass
class Accounts:
    teacher_email: str
    student_email: str


@pytest.fixture
async def accounts(
    committed: Database, mail_settings: Settings, owner_engine: AsyncEngine
) -> AsyncIterator[Accounts]:
    """A teacher (English) and their student (Russian, the default), committed; deleted after."""
    people = People(database=committed, settings=mail_settings)
    tag = unique_name("reset")
    teacher = await people.teacher(f"{tag}-teacher@example.com", language="en")
    student = await people.student(teacher, f"{tag}-student@example.com")
    yield Accounts(teacher_email=teacher.email, student_email=student.email)
    async with owner_engine.begin() as connection:
        for statement in (
            "DELETE FROM students WHERE teacher_id = :t",
            "DELETE FROM users WHERE teacher_id = :t",
            "DELETE FROM users WHERE id = :t",
        ):
            await connection.execute(text(statement), {"t": teacher.id})


async def run_jobs(settings: Settings, database: Database) -> None:
    """A real worker of the project's jobs app, until the queue is empty."""
    async with jobs.open_jobs(settings.app_database_url_for(_owner(settings)), settings) as app:
        await jobs.run_worker(app, database, settings, wait=False, install_signal_handlers=False)


def _owner(settings: Settings) -> URL:
    url = settings.owner_database_url()
    assert url is not None
    return url


def csrf_form(client: httpx.AsyncClient, **values: str) -> dict[str, str]:
    return {**values, CSRF_FORM_FIELD: client.cookies[CSRF_COOKIE]}


async def can_log_in(web: httpx.AsyncClient, address: str, password: str) -> bool:
    """A login from a fresh browser (`web`'s cookies stay as they are)."""
    async with httpx.AsyncClient(transport=web._transport, base_url=BASE_URL) as client:
        response = await client.post(
            "/api/v1/auth/login", json={"email": address, "password": password}
        )
    return response.status_code == 200


async def test_the_mailed_link_sets_a_new_password_once_and_ends_every_login(
    web: httpx.AsyncClient,
    accounts: Accounts,
    inbox: tuple[Inbox, int],
    mail_settings: Settings,
    committed: Database,
    owner_engine: AsyncEngine,
) -> None:
    mailbox, _port = inbox
    address = accounts.student_email
    transport = web._transport  # the same app, another browser with its own cookies
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as old_login:
        await login_as(old_login, address)

        asked = await web.post(REQUEST, json={"email": address.upper()})
        assert asked.status_code == 202, asked.text
        assert asked.json() == {"detail": gettext_for("ru", RESET_REQUESTED)}
        assert mailbox.messages == [], "the request never waits for the mail"
        [job] = await job_rows(owner_engine, TASK)
        assert job["args"] == {"user_id": job["args"]["user_id"]}, "the job holds no secret"  # type: ignore[index]

        await run_jobs(mail_settings, committed)
        [message] = mailbox.messages
        assert message["To"] == address
        assert message["Subject"] == gettext_for("ru", MAIL_SUBJECT)
        [link] = mailbox.links_to(address)
        secret = link.rsplit(".", 1)[1]
        async with owner_engine.connect() as connection:
            stored = (
                await connection.execute(
                    text("SELECT token_hash FROM password_reset_tokens WHERE token_hash = :h"),
                    {"h": hashlib.sha256(secret.encode()).hexdigest()},
                )
            ).all()
            anywhere = await connection.scalar(
                text("SELECT count(*) FROM password_reset_tokens WHERE token_hash = :s"),
                {"s": secret},
            )
        assert len(stored) == 1 and anywhere == 0, "only the secret's hash is stored"

        form_page = await web.get(link)
        assert form_page.status_code == 200
        assert 'name="new_password"' in form_page.text
        weak = await web.post(link, data=csrf_form(web, new_password="weak"))
        assert weak.status_code == 422
        assert 'id="error-new_password"' in weak.text
        done = await web.post(link, data=csrf_form(web, new_password=NEW_PASSWORD))
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/auth/login"

        assert (await old_login.get("/api/v1/users/me")).status_code == 401
    assert not await can_log_in(web, address, PASSWORD)
    assert await can_log_in(web, address, NEW_PASSWORD)

    again = await web.get(link)
    assert again.status_code == 410
    assert gettext_for("ru", INVALID_LINK) in again.text
    reused = await web.post(
        CONFIRM,
        json={"token": link.rsplit("/", 1)[1], "new_password": "Another-One-2025!"},
    )
    assert reused.status_code == 422
    assert reused.json()["field"] == "token"
    assert await can_log_in(web, address, NEW_PASSWORD)

    async with owner_engine.connect() as connection:
        recorded = (
            await connection.execute(
                text(
                    "SELECT e.event FROM audit_events e JOIN users u ON u.id = e.subject_user_id"
                    " WHERE lower(u.email) = :email ORDER BY e.id"
                ),
                {"email": address},
            )
        ).scalars()
        assert [event for event in recorded if event.startswith("password_reset")] == [
            "password_reset_requested",
            "password_reset_completed",
        ]


async def test_an_unknown_email_gets_the_same_answer_and_no_mail(
    web: httpx.AsyncClient,
    accounts: Accounts,
    inbox: tuple[Inbox, int],
    mail_settings: Settings,
    committed: Database,
    owner_engine: AsyncEngine,
) -> None:
    known = await web.post(REQUEST, json={"email": accounts.teacher_email})
    unknown = await web.post(REQUEST, json={"email": "nobody-at-all@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(await job_rows(owner_engine, TASK)) == 1
    await run_jobs(mail_settings, committed)
    assert [message["To"] for message in inbox[0].messages] == [accounts.teacher_email]
    # The teacher's account is in English: so is their mail.
    assert inbox[0].messages[0]["Subject"] == MAIL_SUBJECT
    invalid = await web.post(REQUEST, json={"email": "not an e-mail"})
    assert invalid.status_code == 422


async def test_a_few_links_an_hour_and_only_the_newest_works(
    web: httpx.AsyncClient,
    accounts: Accounts,
    inbox: tuple[Inbox, int],
    mail_settings: Settings,
    committed: Database,
) -> None:
    address = accounts.teacher_email
    answers = []
    for _ in range(REQUESTS_PER_HOUR + 2):
        answers.append((await web.post(REQUEST, json={"email": address})).json())
        await run_jobs(mail_settings, committed)
    assert len({str(answer) for answer in answers}) == 1, "a throttled request looks the same"
    links = inbox[0].links_to(address)
    assert len(links) == REQUESTS_PER_HOUR
    for old in links[:-1]:
        assert (await web.get(old)).status_code == 410, "a new link replaces the older ones"
    assert (await web.get(links[-1])).status_code == 200


async def test_an_expired_link_no_longer_works(
    web: httpx.AsyncClient,
    accounts: Accounts,
    inbox: tuple[Inbox, int],
    mail_settings: Settings,
    committed: Database,
    owner_engine: AsyncEngine,
) -> None:
    await web.post(REQUEST, json={"email": accounts.student_email})
    await run_jobs(mail_settings, committed)
    [link] = inbox[0].links_to(accounts.student_email)
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE password_reset_tokens SET expires_at = now() - interval '1 second'")
        )
    assert (await web.get(link)).status_code == 410
    refused = await web.post(link, data=csrf_form(web, new_password=NEW_PASSWORD))
    assert refused.status_code == 410 or refused.status_code == 422
    assert await can_log_in(web, accounts.student_email, PASSWORD)


async def test_the_reset_pages_are_public_and_the_login_page_offers_them(
    web: httpx.AsyncClient, accounts: Accounts, inbox: tuple[Inbox, int]
) -> None:
    login = await web.get("/auth/login")
    assert 'href="/auth/reset"' in login.text
    form = await web.get("/auth/reset")
    assert form.status_code == 200
    sent = await web.post("/auth/reset", data=csrf_form(web, email=accounts.student_email))
    assert sent.status_code == 303
    assert sent.headers["location"] == "/auth/login"
    assert gettext_for("ru", RESET_REQUESTED) in (await web.get("/auth/login")).text
    bad = await web.get("/auth/reset/not-a-token")
    assert bad.status_code == 410


async def test_without_smtp_there_is_no_reset(client: httpx.AsyncClient) -> None:
    """The default test settings configure no SMTP server."""
    assert 'href="/auth/reset"' not in (await client.get("/auth/login")).text
    client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
    response = await client.post(REQUEST, json={"email": "someone@example.com"})
    assert response.status_code == 404
    assert response.json()["detail"] == gettext_for("ru", RESET_UNAVAILABLE)
    assert (await client.get("/auth/reset")).status_code == 404
