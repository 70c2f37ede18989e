"""Student progress reads from the index alone; a student's lesson policies look up their own
assignment directly.

- `ix_lesson_assignments_student` also carries `due_at`, `score` and `max_score`: the teacher's
  student list aggregates each listed student's assignments (assigned, done, overdue, average)
  with an index-only scan instead of a heap visit per assignment.
- The student SELECT policies on `lessons` and `lesson_versions` asked "is this lesson assigned
  to anyone I can see?", leaving `student_id` to the nested RLS of `lesson_assignments`: every
  assignment of the lesson in the tenant was read and filtered. Naming the student's own id
  makes it one probe of `uq_lesson_assignments_lesson_student` (same rows visible as before).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_USER = "NULLIF(current_setting('app.user_id', true), '')::bigint"
APP_TEACHER = "NULLIF(current_setting('app.teacher_id', true), '')::bigint"
APP_ROLE = "current_setting('app.role', true)"
STUDENT_SELF = f"(SELECT s.id FROM students s WHERE s.user_id = {APP_USER})"
STUDENT_IN_TENANT = f"teacher_id = {APP_TEACHER} AND {APP_ROLE} = 'student'"
# table -> the column holding the lesson id
LESSON_TABLES = {"lessons": "id", "lesson_versions": "lesson_id"}


def _assigned_to_student(table: str, lesson_column: str, *, own_only: bool) -> str:
    own = f" AND a.student_id = {STUDENT_SELF}" if own_only else ""
    return (
        f"{STUDENT_IN_TENANT} AND EXISTS (SELECT 1 FROM lesson_assignments a"
        f" WHERE a.teacher_id = {APP_TEACHER} AND a.lesson_id = {table}.{lesson_column}{own})"
    )


def _student_select_policies(*, own_only: bool) -> None:
    for table, lesson_column in LESSON_TABLES.items():
        expression = _assigned_to_student(table, lesson_column, own_only=own_only)
        op.execute(f"DROP POLICY student_select ON {table}")
        op.execute(f"CREATE POLICY student_select ON {table} FOR SELECT USING ({expression})")


def _student_index(include: list[str]) -> None:
    op.drop_index("ix_lesson_assignments_student", table_name="lesson_assignments")
    op.create_index(
        "ix_lesson_assignments_student",
        "lesson_assignments",
        ["teacher_id", "student_id", "status"],
        unique=False,
        postgresql_include=include,
    )


def upgrade() -> None:
    _student_index(["due_at", "score", "max_score"])
    _student_select_policies(own_only=True)


def downgrade() -> None:
    _student_select_policies(own_only=False)
    _student_index([])
