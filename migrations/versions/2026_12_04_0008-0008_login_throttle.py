"""Login throttling that holds across processes: `login_throttle` counts login attempts per
account (e-mail) and per client address in a window (app.services.auth.throttle).

- One row per key, a fixed window from the first attempt: bounded storage, one upsert per
  attempt. Keys are HMACs of the e-mail or address, never the typed text.
- Under RLS, visible to the 'system' role only: the anonymous login runs its counting in a
  system-actor transaction of its own, committed before the answer, so the counts survive the
  refused request. No tenant ever reads it.
- Expired rows are deleted by the hourly `auth.cleanup_sessions` job (index on the window).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYSTEM_ONLY = "current_setting('app.role', true) = 'system'"


def upgrade() -> None:
    app_role = str(context.config.attributes["app_role"])
    op.create_table(
        "login_throttle",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "window_started_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("kind", "key_hash", name="pk_login_throttle"),
    )
    op.create_index("ix_login_throttle_window_started_at", "login_throttle", ["window_started_at"])
    op.execute("ALTER TABLE login_throttle ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY system_only ON login_throttle"
        f" USING ({SYSTEM_ONLY}) WITH CHECK ({SYSTEM_ONLY})"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO {app_role}")


def downgrade() -> None:
    op.drop_table("login_throttle")
