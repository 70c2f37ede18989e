"""Settings as people write them: the seed's `.env` (a JSON list, empty values), a comma list,
the paths a login needs always public, and one clear line for every value that cannot be used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import (
    ALWAYS_PUBLIC_PATHS,
    PROJECT_ROOT,
    ConfigurationError,
    Settings,
    load_settings,
)

SEED_ENV = """\
EXCLUDED_PATHS = ["/auth/login", "/docs", "/openapi.json", "/redoc"]
SECRET_KEY = ""
ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = 60
DB_USER=
DB_PASSWORD=
DB_HOST=
DB_PORT=
DB_NAME=
"""
# What a login needs before anyone has a session.
LOGIN_NEEDS = (
    "/auth/login",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/static",
    "/healthz",
    "/readyz",
    "/language",
    "/favicon.ico",
    "/auth/reset",
    "/api/v1/auth/password-reset",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test writes counts: no setting leaks in from the runner's shell."""
    for name in list(os.environ):
        if name.lower() in Settings.model_fields:
            monkeypatch.delenv(name)


def from_env_file(tmp_path: Path, text: str) -> Settings:
    env_file = tmp_path / ".env"
    env_file.write_text(text)
    return load_settings(_env_file=env_file)


def error_lines(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigurationError) as raised:
        from_env_file(tmp_path, text)
    return str(raised.value).splitlines()


# --- the seed's .env ------------------------------------------------------------------------


def test_the_seed_env_file_as_written(tmp_path: Path) -> None:
    settings = from_env_file(tmp_path, SEED_ENV)
    assert settings.excluded_paths == (*ALWAYS_PUBLIC_PATHS, "/docs", "/openapi.json", "/redoc")
    assert settings.db_port == 5432
    assert settings.db_user is None and settings.db_host is None and settings.db_name is None
    assert settings.db_password is None
    assert settings.uses_embedded_database
    assert settings.owner_database_url() is None
    assert settings.algorithm == "HS256"
    assert settings.access_token_expire_minutes == 60
    assert settings.secret_key.get_secret_value() == ""


@pytest.mark.parametrize(
    "value",
    [
        '["/auth/login", "/docs", "/openapi.json", "/redoc"]',
        '["/auth/login","/docs","/openapi.json","/redoc"]',
        "/auth/login,/docs,/openapi.json,/redoc",
        " /auth/login , /docs, /openapi.json ,/redoc ",
    ],
)
def test_json_list_and_comma_list_mean_the_same(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("EXCLUDED_PATHS", value)
    settings = load_settings(_env_file=None)
    assert settings.excluded_paths == (*ALWAYS_PUBLIC_PATHS, "/docs", "/openapi.json", "/redoc")


def test_excluded_paths_only_add_to_the_always_public_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXCLUDED_PATHS", "/calendar/feeds")
    public = load_settings(_env_file=None).excluded_paths
    for path in LOGIN_NEEDS:
        assert path in public, path
    assert "/calendar/feeds" in public
    # The documentation was not named, so it is not public any more.
    assert "/docs" not in public and "/openapi.json" not in public


def test_without_excluded_paths_login_needs_and_the_docs_are_public() -> None:
    public = load_settings(_env_file=None).excluded_paths
    for path in (*LOGIN_NEEDS, "/docs", "/openapi.json"):
        assert path in public, path
    assert len(public) == len(set(public))


def test_an_empty_json_list_still_leaves_the_login_public(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXCLUDED_PATHS", "[]")
    assert load_settings(_env_file=None).excluded_paths == ALWAYS_PUBLIC_PATHS


# --- empty values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "attribute", "default"),
    [
        ("DB_PORT", "db_port", 5432),
        ("COOKIE_SECURE", "cookie_secure", False),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "access_token_expire_minutes", 15),
        ("ENVIRONMENT", "environment", "local"),
        ("DATABASE_URL", "database_url", None),
        ("APP_DB_PASSWORD", "app_db_password", None),
        ("EXCLUDED_PATHS", "excluded_paths", Settings().excluded_paths),
        ("JOBS_CONCURRENCY", "jobs_concurrency", 2),
    ],
)
def test_an_empty_value_means_not_set(
    monkeypatch: pytest.MonkeyPatch, name: str, attribute: str, default: object
) -> None:
    monkeypatch.setenv(name, "")
    assert getattr(load_settings(_env_file=None), attribute) == default


# --- one line per problem ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("DB_PORT=abc", 'Configuration error: DB_PORT must be an integer (got "abc")'),
        ("DB_PORT = 54.32", 'Configuration error: DB_PORT must be an integer (got "54.32")'),
        (
            "COOKIE_SECURE=maybe",
            'Configuration error: COOKIE_SECURE must be true or false (got "maybe")',
        ),
        (
            "JOBS_WORKER_IN_SERVER=yes please",
            'Configuration error: JOBS_WORKER_IN_SERVER must be true or false (got "yes please")',
        ),
        (
            "ACCESS_TOKEN_EXPIRE_MINUTES=an hour",
            'Configuration error: ACCESS_TOKEN_EXPIRE_MINUTES must be an integer (got "an hour")',
        ),
        (
            "ENVIRONMENT=prod",
            "Configuration error: ENVIRONMENT must be one of 'local', 'test' or 'production'"
            ' (got "prod")',
        ),
        (
            'EXCLUDED_PATHS = ["/auth/login", "/docs"',
            "Configuration error: EXCLUDED_PATHS must be a JSON list of paths or"
            ' comma-separated paths (got "["/auth/login", "/docs"")',
        ),
        (
            "EXCLUDED_PATHS=docs,/redoc",
            'Configuration error: EXCLUDED_PATHS must list paths that start with "/" (got "docs")',
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    tmp_path: Path, line: str, expected: str
) -> None:
    assert error_lines(tmp_path, line + "\n") == [expected]


def test_each_bad_variable_gets_its_own_line(tmp_path: Path) -> None:
    lines = error_lines(tmp_path, "DB_PORT=x\nCOOKIE_SECURE=perhaps\n")
    assert lines == [
        'Configuration error: DB_PORT must be an integer (got "x")',
        'Configuration error: COOKIE_SECURE must be true or false (got "perhaps")',
    ]


def test_production_without_a_real_secret_is_one_line(tmp_path: Path) -> None:
    lines = error_lines(tmp_path, "ENVIRONMENT=production\nSECRET_KEY=short-but-secret\n")
    assert lines == [
        "Configuration error: SECRET_KEY must be set to a random value of at least 32"
        " characters in production"
    ]


def test_a_configuration_error_ends_the_process_with_a_failure_code(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as raised:
        from_env_file(tmp_path, "DB_PORT=abc\n")
    assert isinstance(raised.value, SystemExit)
    assert raised.value.code == str(raised.value)  # printed by Python, exit status 1


# --- as the commands print it ----------------------------------------------------------------


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env["DB_PORT"] = "abc"
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        ("-m", "app.manage", "serve"),
        ("-m", "app.manage", "migrate"),
        ("-m", "app.manage", "cleanup-sessions"),
        ("-m", "uvicorn", "app.main:app", "--port", "0"),
    ],
    ids=["serve", "migrate", "cleanup-sessions", "uvicorn"],
)
def test_commands_print_one_line_instead_of_a_traceback(command: tuple[str, ...]) -> None:
    result = _run(*command)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        'Configuration error: DB_PORT must be an integer (got "abc")'
    ], result.stderr
