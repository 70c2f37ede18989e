"""Typed settings. Variable names follow the seed's `.env` (DB_*, SECRET_KEY, ALGORITHM, ...)."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# A SECRET_KEY that is one of these is a placeholder copied from docs, never a real secret.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "your-secret-key"})

DEFAULT_EXCLUDED_PATHS = (
    "/auth/login",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/static",
    "/healthz",
    "/readyz",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/favicon.ico",
    "/language",
)


class Environment(StrEnum):
    LOCAL = "local"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env", env_file_encoding="utf-8", extra="ignore"
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

    # UI
    default_language: str = "ru"
    default_timezone: str = "Europe/Moscow"

    @field_validator("excluded_paths", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

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


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
