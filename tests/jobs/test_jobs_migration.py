"""Migration 0006: procrastinate's schema, owned by the migration owner, the app role's grants
exactly what defer and the worker use, and a downgrade that removes it all."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from alembic import command
from sqlalchemy.engine import URL

from app.core.migrations import alembic_config
from tests.conftest import make_settings
from tests.db_server import create_database, drop_database, unique_name

TABLE_PRIVILEGES = """
SELECT c.relname, array_agg(p.privilege ORDER BY p.privilege)
FROM pg_class c
CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES',
                        'TRIGGER']) AS p(privilege)
WHERE c.relnamespace = 'procrastinate'::regnamespace AND c.relkind = 'r'
  AND has_table_privilege($1, c.oid, p.privilege)
GROUP BY c.relname
"""


async def _inspect(url: URL, app_role: str) -> dict[str, Any]:
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        schema = await connection.fetchrow(
            "SELECT n.nspname, pg_get_userbyid(n.nspowner) AS owner,"
            " has_schema_privilege($1, n.oid, 'USAGE') AS usage,"
            " has_schema_privilege($1, n.oid, 'CREATE') AS create"
            " FROM pg_namespace n WHERE n.nspname = 'procrastinate'",
            app_role,
        )
        if schema is None:
            return {}
        owners = await connection.fetch(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
            " WHERE relnamespace = 'procrastinate'::regnamespace"
            " UNION SELECT DISTINCT pg_get_userbyid(proowner) FROM pg_proc"
            " WHERE pronamespace = 'procrastinate'::regnamespace"
        )
        functions = await connection.fetch(
            "SELECT p.proname, p.proconfig, has_function_privilege($1, p.oid, 'EXECUTE') AS app,"
            " EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0) AS public"
            " FROM pg_proc p WHERE p.pronamespace = 'procrastinate'::regnamespace",
            app_role,
        )
        tables = await connection.fetch(TABLE_PRIVILEGES, app_role)
        current_user = await connection.fetchval("SELECT current_user")
    finally:
        await connection.close()
    return {
        "schema": dict(schema),
        "owners": {row[0] for row in owners},
        "current_user": current_user,
        "functions": {
            row["proname"]: (tuple(row["proconfig"] or ()), row["app"], row["public"])
            for row in functions
        },
        "tables": {row[0]: set(row[1]) for row in tables},
    }


def inspect(url: URL, app_role: str) -> dict[str, Any]:
    return asyncio.run(_inspect(url, app_role))


def test_the_jobs_schema_comes_and_goes_with_its_revision(server_url: URL) -> None:
    name = unique_name("tutor_jobs_migration")
    url = create_database(server_url, name)
    settings = make_settings(url)
    app_role = settings.app_db_user
    try:
        config = alembic_config(url, settings)
        command.upgrade(config, "head")
        first = inspect(url, app_role)

        assert first["schema"]["usage"] and not first["schema"]["create"]
        assert first["owners"] == {first["current_user"]} == {first["schema"]["owner"]}
        assert first["tables"] == {
            "procrastinate_jobs": {"SELECT", "INSERT", "UPDATE", "DELETE"},
            "procrastinate_workers": {"SELECT", "INSERT", "UPDATE", "DELETE"},
            "procrastinate_periodic_defers": {"SELECT", "INSERT", "UPDATE", "DELETE"},
            "procrastinate_events": {"SELECT", "INSERT"},
        }
        assert "procrastinate_defer_jobs_v1" in first["functions"]
        assert set(first["functions"].values()) == {
            (("search_path=pg_catalog, procrastinate",), True, False)
        }

        command.downgrade(config, "0005")
        assert inspect(url, app_role) == {}

        command.upgrade(config, "head")
        assert inspect(url, app_role) == first
    finally:
        drop_database(server_url, name)
