"""Alembic environment: async engine, URL from the app's settings, the owner role runs DDL."""

from __future__ import annotations

import asyncio
import re

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import get_settings
from app.core.database import resolve_owner_url
from app.models import metadata

config = context.config
target_metadata = metadata
settings = get_settings()
config.attributes.setdefault("app_role", settings.app_db_user)


def _owner_url() -> URL:
    # Tests and `app.manage` hand over the URL they already resolved (and the embedded server
    # they started); a plain `alembic upgrade head` resolves it from settings.
    given = config.attributes.get("owner_url")
    return given if given is not None else resolve_owner_url(settings)


# Hash partitions (`lesson_assignments_p07`) are created by hand in migrations and are not
# models; neither are the per-partition clones of foreign keys that PostgreSQL makes.
PARTITION_NAME = re.compile(r"_p\d{2}$")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if type_ == "table" and name and PARTITION_NAME.search(name):
        return False
    table = getattr(obj, "table", None)
    if table is not None and PARTITION_NAME.search(table.name):
        return False
    if type_ == "foreign_key_constraint":
        referred = getattr(obj, "referred_table", None)
        if referred is not None and PARTITION_NAME.search(referred.name):
            return False
    return True


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    _set_app_role_password(connection)


def _set_app_role_password(connection: Connection) -> None:
    """Servers that do not trust local connections need a password for the app role."""
    if settings.app_db_password is None:
        return
    role = config.attributes["app_role"]
    exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    if exists.scalar() is None:
        return
    password = settings.app_db_password.get_secret_value().replace("'", "''")
    connection.execute(text(f"ALTER ROLE {role} PASSWORD '{password}'"))
    connection.commit()


async def _run_async(url: URL) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    asyncio.run(_run_async(_owner_url()))


if context.is_offline_mode():
    context.configure(
        url=_owner_url().render_as_string(hide_password=False), target_metadata=metadata
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
