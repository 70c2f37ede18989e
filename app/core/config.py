"""Typed settings. Variable names follow the seed's `.env` (DB_*, SECRET_KEY, ALGORITHM, ...)."""

from __future__ import annotations

import json
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# A SECRET_KEY that is one of these is a placeholder copied from docs, never a real secret.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "your-secret-key"})

# What a person needs before they can log in: always reachable without a session, whatever
# EXCLUDED_PATHS says (it can only add to these). Prefixes match whole path segments.
ALWAYS_PUBLIC_PATHS = (
    "/auth/login",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    # Password reset: a person who forgot the password has no session by definition.
    "/auth/reset",
    "/api/v1/auth/password-reset",
    "/static",
    "/healthz",
    "/readyz",
    "/favicon.ico",
    "/language",
)
# Without EXCLUDED_PATHS the API documentation is public too.
DEFAULT_EXCLUDED_PATHS = (*ALWAYS_PUBLIC_PATHS, "/docs", "/redoc", "/openapi.json")


class Environment(StrEnum):
    LOCAL = "local"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # The seed's .env has `DB_PORT=` and friends: an empty value means "not set".
        env_ignore_empty=True,
    )

    environment: Environment = Environment.LOCAL

    # Database: one DATABASE_URL, or the seed's DB_* parts; neither means the embedded server.
    database_url: str | None = None
    db_user: str | None = None
    db_password: SecretStr | None = None
    db_host: str | None = None
    db_port: int = 5432
    db_name: str | None = None
    # The role the application connects as: it owns nothing and is subject to Row-Level Security.
    # Migrations create it (when the owner may) and grant it DML only.
    app_database_url: str | None = None
    app_db_user: str = "tutor_app"
    app_db_password: SecretStr | None = None
    db_pool_size: int = 10
    # No overflow: extra connections would be opened and closed under load (measured by bench/:
    # churn, not throughput); requests wait for a pooled connection instead.
    db_max_overflow: int = 0
    var_dir: Path = PROJECT_ROOT / "var"

    # Background jobs (procrastinate): jobs one worker runs at a time, and whether `serve` runs a
    # worker in its own process (false when workers run as `python -m app.manage worker`).
    jobs_concurrency: int = 2
    jobs_worker_in_server: bool = True

    # Auth
    secret_key: SecretStr = SecretStr("")
    algorithm: str = "HS256"
    access_token_expire_minutes: int = 15
    refresh_token_expire_days: int = 30
    # Seconds the refresh token just rotated away still renews (parallel requests, not theft).
    refresh_reuse_grace_seconds: int = 10
    excluded_paths: Annotated[tuple[str, ...], NoDecode] = DEFAULT_EXCLUDED_PATHS
    cookie_secure: bool = False
    # Argon2 cost; the defaults are argon2-cffi's (64 MiB, t=3, p=4). Tests use the OWASP minimum.
    argon2_memory_cost: int = 65536
    argon2_time_cost: int = 3
    argon2_parallelism: int = 4
    # Login abuse limits (app.services.auth.throttle): failed logins per account (e-mail) and per
    # client address in a window, counted in PostgreSQL so they hold across processes; beyond
    # them 429 without hashing. Per process: logins one address may have at the hasher at once
    # (more wait their turn, up to the next number), and logins in all (beyond: 503 at once,
    # so the queue stays short enough to answer a real person within a second).
    login_max_failures: int = 10
    login_failure_window_minutes: int = 15
    # One at a time per address: five attacking addresses then hold five of the eight places
    # and a real person still gets one (measured by bench/login_attack.py).
    login_hashing_per_address: int = 1
    login_waiting_per_address: int = 32
    login_hashing_max: int = 8
    # Logins from browsers that logged into the same account before (the known-device cookie)
    # have a line of their own that an attack from many addresses cannot fill.
    login_hashing_known_devices: int = 4

    # Request bodies (app.core.limits), refused with 413 before anything reads them. Ordinary
    # forms and JSON are a few KiB; lesson content and student work are bigger: a 50,000-character
    # Russian text block is ~100 KB as JSON and ~300 KB as a form post, answers may be 256 KB.
    # Files never come through the app (presigned S3 uploads).
    max_body_bytes: int = 64 * 1024
    max_content_body_bytes: int = 2 * 1024 * 1024

    # UI
    default_language: str = "ru"
    default_timezone: str = "Europe/Moscow"

    # Mail (password reset). Empty means unset; password reset by e-mail is offered only when
    # SMTP_HOST, SMTP_FROM and PUBLIC_BASE_URL are all set (`password_reset_by_mail`). The
    # link is built from PUBLIC_BASE_URL, never from the request's Host header: a forged Host
    # would otherwise mail a victim a link to the forger's site, token included.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = ""
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 20.0
    public_base_url: str = ""

    @field_validator("excluded_paths", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        # The seed writes a JSON list; a comma-separated list is accepted as well.
        if isinstance(value, str) and value.lstrip().startswith("["):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ValueError("must be a JSON list of paths or comma-separated paths") from None
            if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
                raise ValueError("must be a JSON list of paths or comma-separated paths")
        if isinstance(value, str):
            value = value.split(",")
        return tuple(part.strip() for part in value if part.strip())

    @field_validator("excluded_paths", mode="after")
    @classmethod
    def _always_public(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for path in value:
            if not path.startswith("/"):
                raise ValueError(f'must list paths that start with "/" (got "{path}")')
        return tuple(dict.fromkeys((*ALWAYS_PUBLIC_PATHS, *value)))

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.environment is Environment.PRODUCTION and (
            secret.lower() in PLACEHOLDER_SECRETS or len(secret) < 32
        ):
            raise ValueError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        return self

    @field_validator("smtp_port", "smtp_starttls", mode="before")
    @classmethod
    def _blank_is_default(cls, value: Any, info: Any) -> Any:
        # `SMTP_PORT=` in a .env means "not set", not a parse error.
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[info.field_name].default
        return value

    @property
    def password_reset_by_mail(self) -> bool:
        """Whether "Forgot your password?" is offered: mail can be sent and linked back."""
        return bool(self.smtp_host and self.smtp_from and self.public_base_url)

    @property
    def uses_embedded_database(self) -> bool:
        return not (self.database_url or self.db_host or self.db_name or self.db_user)

    def owner_database_url(self) -> URL | None:
        """The URL migrations run with (the schema owner); None means the embedded server."""
        if self.database_url:
            return _asyncpg(make_url(self.database_url))
        if self.uses_embedded_database:
            return None
        return URL.create(
            "postgresql+asyncpg",
            username=self.db_user,
            password=self.db_password.get_secret_value() if self.db_password else None,
            host=self.db_host or "localhost",
            port=self.db_port,
            database=self.db_name or self.db_user,
        )

    def app_database_url_for(self, owner_url: URL) -> URL:
        """The application's own (non-owner, RLS-bound) connection URL on the owner's server."""
        if self.app_database_url:
            return _asyncpg(make_url(self.app_database_url))
        password = self.app_db_password.get_secret_value() if self.app_db_password else None
        return owner_url.set(username=self.app_db_user, password=password)

    def effective_secret_key(self) -> str:
        secret = self.secret_key.get_secret_value()
        if secret:
            return secret
        # Local and test runs without a configured secret get a per-checkout key kept under var/,
        # so sessions survive restarts and nobody ships a well-known default.
        return _local_secret(self.var_dir)


def _asyncpg(url: URL) -> URL:
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        return url.set(drivername="postgresql+asyncpg")
    return url


def _local_secret(var_dir: Path) -> str:
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


class ConfigurationError(SystemExit):
    """A setting that cannot be used: its message is one line per problem, naming the variable.

    A `SystemExit`, so that wherever settings are first read (a CLI command, uvicorn importing
    `app.main`, Alembic's env.py) the process stops with that message instead of a traceback.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# What a value of each pydantic error type needs, said the way a person reads a .env file.
_NEEDS = {
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "bool_parsing": "must be true or false",
    "float_parsing": "must be a number",
    "missing": "must be set",
}
# Values never echoed back: they may carry a password.
_SECRET_WORDS = ("secret", "password", "url")


def configuration_error(error: ValidationError) -> ConfigurationError:
    """One line per problem: `Configuration error: DB_PORT must be an integer (got "abc")`."""
    lines = []
    for item in error.errors():
        name = "_".join(str(part) for part in item["loc"][:1]).upper()
        if item["type"] in _NEEDS:
            need = _NEEDS[item["type"]]
        elif item["type"] == "enum":
            need = "must be one of " + str(item.get("ctx", {}).get("expected", ""))
        else:
            need = str(item["msg"]).removeprefix("Value error, ")
        line = f"{name} {need}" if name else need
        value = item.get("input")
        if name and isinstance(value, str) and not any(w in name.lower() for w in _SECRET_WORDS):
            shown = value if len(value) <= 60 else value[:57] + "..."
            if "(got " not in line:
                line += f' (got "{shown}")'
        lines.append("Configuration error: " + line)
    return ConfigurationError("\n".join(lines))


def load_settings(**values: Any) -> Settings:
    """Settings from the environment and .env, or a ConfigurationError saying what is wrong."""
    try:
        return Settings(**values)
    except ValidationError as error:
        raise configuration_error(error) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
