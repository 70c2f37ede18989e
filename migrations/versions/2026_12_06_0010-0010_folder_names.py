"""Two folders of one name at one level are refused: a unique index on
(teacher_id, coalesce(parent_id, 0), lower(name)) — the service checks first for a clear
message, the index settles concurrent creations (app.services.lms.folders maps its violation to
the same error).

Existing duplicates are renamed first, so the index can be built: names are trimmed, then every
later folder of a clashing name (by id) gets " (2)", " (3)", ... — the first number that is free
at that level, so a folder already called "Maths (2)" is never clashed with.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_folders_teacher_id_parent_name"

RENAME_DUPLICATES = """
DO $$
DECLARE
    dup record;
    k integer;
    candidate text;
BEGIN
    FOR dup IN
        SELECT id, teacher_id, parent_id, name, n FROM (
            SELECT id, teacher_id, parent_id, name,
                   row_number() OVER (
                       PARTITION BY teacher_id, coalesce(parent_id, 0), lower(name) ORDER BY id
                   ) AS n
            FROM folders
        ) ranked
        WHERE n > 1
        ORDER BY id
    LOOP
        k := dup.n;
        LOOP
            candidate := left(dup.name, 190) || ' (' || k || ')';
            EXIT WHEN NOT EXISTS (
                SELECT 1 FROM folders
                WHERE teacher_id = dup.teacher_id
                  AND coalesce(parent_id, 0) = coalesce(dup.parent_id, 0)
                  AND lower(name) = lower(candidate)
            );
            k := k + 1;
        END LOOP;
        UPDATE folders SET name = candidate, updated_at = now() WHERE id = dup.id;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    op.execute(
        "UPDATE folders SET name = btrim(name) WHERE name <> btrim(name) AND btrim(name) <> ''"
    )
    op.execute(RENAME_DUPLICATES)
    op.create_index(
        INDEX,
        "folders",
        [
            sa.text("teacher_id"),
            sa.text("coalesce(parent_id, 0)"),
            sa.text("lower(name)"),
        ],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="folders")
