"""Background jobs: procrastinate's queue in a schema of its own, usable by the app role.

- The `procrastinate` schema holds procrastinate 3.10.0's own `sql/schema.sql` (pinned in
  pyproject; the file is read from the installed package and must match the hash below, so
  this revision always creates the same objects). Upgrading procrastinate is a new revision
  that applies the package's `sql/migrations/*.sql` the same way, and updates nothing here.
- A schema of its own, not `public`: `public` holds only account and tenant tables, every one
  under Row-Level Security (tests check that); the queue is not tenant data, and Alembic's
  autogenerate looks at `public` only.
- Every procrastinate function pins `search_path`: a request defers a job by calling
  `procrastinate.procrastinate_defer_jobs_v1` from its own transaction (search path `public`),
  and the function and its triggers must still find their tables. Workers connect with
  `search_path=procrastinate` for procrastinate's unqualified queries.
- The app role gets what defer and the worker use: DML on jobs, workers and periodic defers,
  SELECT/INSERT on events (written by triggers), sequences, EXECUTE on the functions (revoked
  from PUBLIC). The schema and everything in it belong to the migration owner.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import hashlib
from collections.abc import Sequence
from importlib import resources

from alembic import context, op
from sqlalchemy.util import await_only

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "procrastinate"
PROCRASTINATE_VERSION = "3.10.0"
SCHEMA_SQL_SHA256 = "c70ec4b400a60ad9592787653aae5ae77ae41bf801d56b5bd2712751a07f2009"
DML_TABLES = ("procrastinate_jobs", "procrastinate_workers", "procrastinate_periodic_defers")


def _app_role() -> str:
    return str(context.config.attributes["app_role"])


def _procrastinate_schema_sql() -> str:
    sql = (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")
    digest = hashlib.sha256(sql.encode("utf-8")).hexdigest()
    if digest != SCHEMA_SQL_SHA256:
        raise RuntimeError(
            f"procrastinate's schema.sql is not version {PROCRASTINATE_VERSION}'s"
            f" (sha256 {digest}): install procrastinate=={PROCRASTINATE_VERSION} to migrate,"
            " or copy that version's schema.sql into this revision before upgrading the package"
        )
    return sql


def upgrade() -> None:
    app_role = _app_role()
    op.execute(f"CREATE SCHEMA {SCHEMA}")
    op.execute(f"SET LOCAL search_path TO {SCHEMA}")
    # The file is many statements with $$-quoted bodies: it goes to the server as one simple
    # query through the driver (a prepared statement takes one command only).
    schema_sql = _procrastinate_schema_sql()
    if context.is_offline_mode():
        op.execute(schema_sql.replace(":", r"\:"))
    else:
        driver = op.get_bind().connection.driver_connection
        assert driver is not None
        await_only(driver.execute(schema_sql))
    op.execute("SET LOCAL search_path TO DEFAULT")
    op.execute(
        f"""
        DO $$
        DECLARE function regprocedure;
        BEGIN
            FOR function IN
                SELECT p.oid::regprocedure FROM pg_proc p
                WHERE p.pronamespace = '{SCHEMA}'::regnamespace
            LOOP
                EXECUTE format(
                    'ALTER FUNCTION %s SET search_path = pg_catalog, {SCHEMA}', function
                );
            END LOOP;
        END $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {app_role}")
    for table in DML_TABLES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {SCHEMA}.{table} TO {app_role}")
    op.execute(f"GRANT SELECT, INSERT ON {SCHEMA}.procrastinate_events TO {app_role}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {SCHEMA} TO {app_role}")
    op.execute(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {SCHEMA} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {SCHEMA} TO {app_role}")


def downgrade() -> None:
    # Everything procrastinate made lives in its schema; the grants go with the objects.
    op.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
