"""Lessons keep their block count next to the content.

Assignment lists show progress (blocks seen of blocks in the lesson); counting the blocks with
`jsonb_array_length(content)` read every listed lesson's whole content (measured in bench/: the
student's to-do list spent most of its database time there).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "lessons",
        sa.Column("block_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.execute("UPDATE lessons SET block_count = jsonb_array_length(content)")


def downgrade() -> None:
    op.drop_column("lessons", "block_count")
