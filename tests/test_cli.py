"""`python -m app.manage`, run as a real subprocess against a scratch database of its own.

The CLI commits; the rest of the suite works inside rolled-back transactions that cannot see
those rows. So this module migrates a database of its own and reads it back through the real app.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import URL

from app.core.config import PROJECT_ROOT, Settings
from app.core.cookies import CSRF_COOKIE, CSRF_HEADER
from app.core.database import Database
from app.core.migrations import upgrade_to_head
from app.main import create_app
from tests.conftest import make_settings
from tests.db_server import create_database, drop_database, unique_name

SEED_EMAIL = "admin@test.com"
SEED_PASSWORD = "YourStrongPassword123!"
# The seed's own line, word for word.
SEED_COMMAND = (
    "create-admin --email admin@test.com --password YourStrongPassword123! --name Admin"
    " --surname User --second_name Admin --birthday 1990-01-01"
)
FLAGS = ("--email", "--password", "--name", "--surname", "--second_name", "--birthday")
# Settings the app reads from the environment; the parent's must not leak into the CLI's.
INHERITED_SETTINGS = ("DB_", "APP_DB", "APP_DATABASE_URL", "DATABASE_URL", "EXCLUDED_PATHS")


@dataclass(frozen=True)
class CliDatabase:
    owner_url: URL
    settings: Settings


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def cli_database(server_url: URL) -> Iterator[CliDatabase]:
    name = unique_name("tutor_cli")
    url = create_database(server_url, name)
    settings = make_settings(url)
    upgrade_to_head(url, settings)
    yield CliDatabase(owner_url=url, settings=settings)
    drop_database(server_url, name)


def run_cli(database: CliDatabase, *args: str) -> CliResult:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(INHERITED_SETTINGS)
    }
    env.update(
        {
            "DATABASE_URL": database.owner_url.render_as_string(hide_password=False),
            "SECRET_KEY": database.settings.secret_key.get_secret_value(),
            "ENVIRONMENT": "test",
            "ARGON2_MEMORY_COST": "19456",
            "ARGON2_TIME_COST": "2",
            "ARGON2_PARALLELISM": "1",
            # Wide enough that rich never wraps an option name in the help text.
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
    )
    completed = subprocess.run(
        [sys.executable, "-m", "app.manage", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr)


async def fetch_users(database: CliDatabase, email: str) -> list[asyncpg.Record]:
    """Rows for `email` (any case), read as the owner: what the CLI really committed."""
    dsn = database.owner_url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetch(
            "SELECT id, email, role, name, surname, second_name, birthday, is_active,"
            " teacher_id FROM users WHERE lower(email) = lower($1)",
            email,
        )
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def seeded(cli_database: CliDatabase) -> CliResult:
    """The seed's create-admin line, run once for the module."""
    return run_cli(cli_database, *SEED_COMMAND.split())


@pytest.fixture
async def cli_app_client(cli_database: CliDatabase) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on the CLI's database (committed data, the RLS-bound app role)."""
    settings = cli_database.settings
    database = Database.connect(settings.app_database_url_for(cli_database.owner_url), settings)
    app = create_app(settings, database)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await database.dispose()


def test_seed_create_admin_line_succeeds(seeded: CliResult) -> None:
    assert seeded.returncode == 0, seeded.stderr
    assert f"Superuser {SEED_EMAIL} created" in seeded.stdout
    assert seeded.stderr == ""


async def test_seeded_admin_is_stored_as_given(
    seeded: CliResult, cli_database: CliDatabase
) -> None:
    assert seeded.returncode == 0, seeded.stderr
    rows = await fetch_users(cli_database, SEED_EMAIL)
    assert len(rows) == 1
    row = rows[0]
    assert (row["email"], row["role"], row["is_active"]) == (SEED_EMAIL, "superuser", True)
    assert (row["name"], row["surname"], row["second_name"]) == ("Admin", "User", "Admin")
    assert row["birthday"].isoformat() == "1990-01-01"
    assert row["teacher_id"] is None
    assert f"(id {row['id']})" in seeded.stdout


async def test_seeded_admin_can_log_in(
    seeded: CliResult, cli_app_client: httpx.AsyncClient
) -> None:
    assert seeded.returncode == 0, seeded.stderr
    wrong = await cli_app_client.post(
        "/api/v1/auth/login", json={"email": SEED_EMAIL, "password": SEED_PASSWORD + "x"}
    )
    assert wrong.status_code == 401

    # The failed attempt left a CSRF cookie, so this client now echoes it like a page would.
    login = await cli_app_client.post(
        "/api/v1/auth/login",
        json={"email": SEED_EMAIL, "password": SEED_PASSWORD},
        headers={CSRF_HEADER: cli_app_client.cookies[CSRF_COOKIE]},
    )

    assert login.status_code == 200, login.text
    assert login.json()["user"]["role"] == "superuser"
    me = await cli_app_client.get("/api/v1/users/me")
    assert me.status_code == 200, me.text
    assert (me.json()["email"], me.json()["role"]) == (SEED_EMAIL, "superuser")
    # A superuser's power, not just a login: the teachers list is theirs to see.
    assert (await cli_app_client.get("/api/v1/teachers")).status_code == 200


@pytest.mark.parametrize("email", [SEED_EMAIL, "ADMIN@Test.COM"])
async def test_create_admin_with_taken_email_fails_and_says_so(
    seeded: CliResult, cli_database: CliDatabase, email: str
) -> None:
    assert seeded.returncode == 0, seeded.stderr

    result = run_cli(
        cli_database,
        "create-admin",
        "--email",
        email,
        "--password",
        "Another-Strong-Pass-1!",
        "--name",
        "Second",
        "--surname",
        "Admin",
    )

    assert result.returncode != 0
    assert "already exists" in result.stderr
    assert SEED_EMAIL in result.stderr
    assert "Traceback" not in result.stderr
    rows = await fetch_users(cli_database, SEED_EMAIL)
    assert [row["name"] for row in rows] == ["Admin"]  # the first one, untouched


WEAK_PASSWORDS = [
    ("Short1!", ["at least 10 characters"]),
    ("alllowercase-123", ["an upper-case letter"]),
    ("ALLUPPERCASE-123", ["a lower-case letter"]),
    ("No-Digits-Here!", ["a digit"]),
    ("NoSpecials12345", ["a special character"]),
    ("weakling", ["at least 10 characters", "an upper-case letter", "a digit", "a special"]),
]
ALL_RULES = [
    "at least 10 characters",
    "an upper-case letter",
    "a lower-case letter",
    "a digit",
    "a special character",
]


@pytest.mark.parametrize(("password", "missing"), WEAK_PASSWORDS)
async def test_create_admin_with_weak_password_fails_naming_exactly_what_is_missing(
    cli_database: CliDatabase, password: str, missing: list[str]
) -> None:
    email = f"weak-{password.encode().hex()[:24]}@test.com"

    result = run_cli(
        cli_database,
        "create-admin",
        "--email",
        email,
        "--password",
        password,
        "--name",
        "Weak",
        "--surname",
        "Password",
    )

    assert result.returncode != 0
    assert "--password" in result.stderr
    for rule in ALL_RULES:
        named = any(rule.startswith(item) or item.startswith(rule) for item in missing)
        assert (rule in result.stderr) == named, (rule, result.stderr)
    assert password not in result.stderr  # the secret itself is never echoed
    assert await fetch_users(cli_database, email) == []


@pytest.mark.parametrize(
    ("birthday", "explanation"),
    [
        ("1990-13-01", "YYYY-MM-DD"),
        ("01.01.1990", "YYYY-MM-DD"),
        ("yesterday", "YYYY-MM-DD"),
        ("2999-01-01", "between 1900-01-01 and today"),
        ("1800-01-01", "between 1900-01-01 and today"),
    ],
)
async def test_create_admin_with_bad_birthday_fails(
    cli_database: CliDatabase, birthday: str, explanation: str
) -> None:
    email = f"birthday-{birthday.replace('.', '-')}@test.com"

    result = run_cli(
        cli_database,
        "create-admin",
        "--email",
        email,
        "--password",
        SEED_PASSWORD,
        "--name",
        "Bad",
        "--surname",
        "Birthday",
        "--birthday",
        birthday,
    )

    assert result.returncode != 0
    assert "--birthday" in result.stderr
    assert explanation in result.stderr
    assert await fetch_users(cli_database, email) == []


async def test_create_admin_with_invalid_email_fails(cli_database: CliDatabase) -> None:
    result = run_cli(
        cli_database,
        "create-admin",
        "--email",
        "not-an-email",
        "--password",
        SEED_PASSWORD,
        "--name",
        "Bad",
        "--surname",
        "Email",
    )
    assert result.returncode != 0
    assert "--email" in result.stderr
    assert await fetch_users(cli_database, "not-an-email") == []


def test_create_admin_without_required_flags_fails(cli_database: CliDatabase) -> None:
    result = run_cli(cli_database, "create-admin", "--email", "x@test.com")
    assert result.returncode != 0
    assert "--password" in result.stderr


def test_create_admin_help_documents_every_flag(cli_database: CliDatabase) -> None:
    result = run_cli(cli_database, "create-admin", "--help")

    assert result.returncode == 0, result.stderr
    for flag in FLAGS:
        # A whole flag, not a piece of a longer one ("--name" inside "--second_name").
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", result.stdout), flag
    assert "YYYY-MM-DD" in result.stdout
    assert "Superuser" in result.stdout


def test_top_level_help_lists_create_admin(cli_database: CliDatabase) -> None:
    result = run_cli(cli_database, "--help")
    assert result.returncode == 0, result.stderr
    assert "create-admin" in result.stdout
    assert "migrate" in result.stdout
