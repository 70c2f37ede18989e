"""LMS: folders, lessons with immutable versions, media, student groups, and assignments with
attempts, hash-partitioned by teacher; Row-Level Security on every table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 16 hash partitions: tenant queries prune to one (DESIGN.md keeps the count between 16 and 64).
PARTITIONS = 16
PARTITIONED = ("lesson_assignments", "assignment_attempts")

APP_USER = "NULLIF(current_setting('app.user_id', true), '')::bigint"
APP_TEACHER = "NULLIF(current_setting('app.teacher_id', true), '')::bigint"
APP_ROLE = "current_setting('app.role', true)"
SYSTEM = f"{APP_ROLE} = 'system'"
TEACHER_OWNS = f"{SYSTEM} OR (teacher_id = {APP_TEACHER} AND {APP_ROLE} = 'teacher')"
# The partitioned tables name the tenant in every policy, the system actor's too: one OR-ed arm
# without `teacher_id = ...` (a bare `role = 'system'`) stops PostgreSQL from pruning partitions
# at run time, and every query would scan all 16.
TENANT_OWNS = f"teacher_id = {APP_TEACHER} AND {APP_ROLE} IN ('teacher', 'system')"
# A student's own profile id: the one students row their account has (RLS shows no other).
STUDENT_SELF = f"(SELECT s.id FROM students s WHERE s.user_id = {APP_USER})"
STUDENT_IN_TENANT = f"teacher_id = {APP_TEACHER} AND {APP_ROLE} = 'student'"
ASSIGNED_TO_STUDENT = (
    f"{STUDENT_IN_TENANT} AND EXISTS (SELECT 1 FROM lesson_assignments a"
    f" WHERE a.teacher_id = {APP_TEACHER} AND a.lesson_id = {{table}}.{{lesson_column}})"
)

# table -> the teacher's full access, plus what a student may do with which rows.
# Policies for one command are OR-ed, so a student policy only ever adds the student's own rows.
STUDENT_POLICIES: dict[str, list[tuple[str, str]]] = {
    "lessons": [("SELECT", ASSIGNED_TO_STUDENT.format(table="lessons", lesson_column="id"))],
    "lesson_versions": [
        ("SELECT", ASSIGNED_TO_STUDENT.format(table="lesson_versions", lesson_column="lesson_id"))
    ],
    "lesson_assignments": [
        ("SELECT", f"{STUDENT_IN_TENANT} AND student_id = {STUDENT_SELF}"),
        ("UPDATE", f"{STUDENT_IN_TENANT} AND student_id = {STUDENT_SELF}"),
    ],
    "assignment_attempts": [
        (
            command,
            f"{STUDENT_IN_TENANT} AND EXISTS (SELECT 1 FROM lesson_assignments a"
            f" WHERE a.teacher_id = {APP_TEACHER} AND a.id = assignment_id)",
        )
        for command in ("SELECT", "INSERT")
    ],
}
TABLES = (
    "folders",
    "media",
    "student_groups",
    "lessons",
    "lesson_versions",
    "student_group_members",
    "lesson_assignments",
    "assignment_attempts",
    "score_overrides",
)


def _app_role() -> str:
    return str(context.config.attributes["app_role"])


def _partitions_rls_and_grants() -> None:
    app_role = _app_role()
    for table in PARTITIONED:
        op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id")
        for remainder in range(PARTITIONS):
            partition = f"{table}_p{remainder:02d}"
            op.execute(
                f"CREATE TABLE {partition} PARTITION OF {table}"
                f" FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {remainder})"
            )
            # Reached only through the parent (the app role has no grants on partitions);
            # RLS on them too, so even a direct grant later would show nothing.
            op.execute(f"ALTER TABLE {partition} ENABLE ROW LEVEL SECURITY")
        op.execute(f"GRANT USAGE ON SEQUENCE {table}_id_seq TO {app_role}")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        owns = TENANT_OWNS if table in PARTITIONED else TEACHER_OWNS
        op.execute(f"CREATE POLICY teacher_access ON {table} USING ({owns}) WITH CHECK ({owns})")
        for command, expression in STUDENT_POLICIES.get(table, []):
            clause = "WITH CHECK" if command == "INSERT" else "USING"
            check = f" WITH CHECK ({expression})" if command == "UPDATE" else ""
            op.execute(
                f"CREATE POLICY student_{command.lower()} ON {table} FOR {command}"
                f" {clause} ({expression}){check}"
            )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {app_role}")
    for table in ("folders", "media", "student_groups", "lessons", "score_overrides"):
        op.execute(f"GRANT USAGE ON SEQUENCE {table}_id_seq TO {app_role}")


def upgrade() -> None:
    for sequence in PARTITIONED:
        op.execute(f"CREATE SEQUENCE {sequence}_id_seq AS bigint")
    op.create_table(
        "folders",
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["teacher_id", "parent_id"],
            ["folders.teacher_id", "folders.id"],
            name=op.f("fk_folders_teacher_id_parent_id_folders"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["teachers.id"],
            name=op.f("fk_folders_teacher_id_teachers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_folders")),
        sa.UniqueConstraint("teacher_id", "id", name=op.f("uq_folders_teacher_id_id")),
    )
    op.create_table(
        "media",
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["teachers.id"],
            name=op.f("fk_media_teacher_id_teachers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("teacher_id", "id", name=op.f("uq_media_teacher_id_id")),
    )
    op.create_table(
        "student_groups",
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["teachers.id"],
            name=op.f("fk_student_groups_teacher_id_teachers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student_groups")),
        sa.UniqueConstraint("teacher_id", "id", name=op.f("uq_student_groups_teacher_id_id")),
    )
    op.create_table(
        "lessons",
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("folder_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=True),
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.String(length=50)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "content",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "max_score",
            sa.Numeric(precision=10, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("attempt_limit", sa.Integer(), nullable=True),
        sa.Column("time_limit_minutes", sa.Integer(), nullable=True),
        sa.Column("shuffle_options", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'archived')", name=op.f("ck_lessons_status_known")
        ),
        sa.CheckConstraint(
            "attempt_limit IS NULL OR attempt_limit > 0",
            name=op.f("ck_lessons_attempt_limit_positive"),
        ),
        sa.CheckConstraint(
            "time_limit_minutes IS NULL OR time_limit_minutes > 0",
            name=op.f("ck_lessons_time_limit_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id", "folder_id"],
            ["folders.teacher_id", "folders.id"],
            name=op.f("fk_lessons_teacher_id_folder_id_folders"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["teachers.id"],
            name=op.f("fk_lessons_teacher_id_teachers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lessons")),
        sa.UniqueConstraint("teacher_id", "id", name=op.f("uq_lessons_teacher_id_id")),
    )
    op.create_index("ix_lessons_tags", "lessons", ["tags"], unique=False, postgresql_using="gin")
    op.create_index(
        "ix_lessons_teacher_id_updated_at", "lessons", ["teacher_id", "updated_at"], unique=False
    )
    op.create_table(
        "lesson_versions",
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("lesson_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "content",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "max_score",
            sa.Numeric(precision=10, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id", "lesson_id"],
            ["lessons.teacher_id", "lessons.id"],
            name=op.f("fk_lesson_versions_teacher_id_lesson_id_lessons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "teacher_id", "lesson_id", "version", name=op.f("pk_lesson_versions")
        ),
    )
    op.create_table(
        "student_group_members",
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id", "group_id"],
            ["student_groups.teacher_id", "student_groups.id"],
            name="fk_student_group_members_group",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id", "student_id"],
            ["students.teacher_id", "students.id"],
            name="fk_student_group_members_student",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "teacher_id", "group_id", "student_id", name=op.f("pk_student_group_members")
        ),
    )
    op.create_index(
        "ix_student_group_members_student",
        "student_group_members",
        ["teacher_id", "student_id"],
        unique=False,
    )
    op.create_table(
        "lesson_assignments",
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('lesson_assignments_id_seq')"),
            nullable=False,
        ),
        sa.Column("lesson_id", sa.BigInteger(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=True),
        sa.Column("lesson_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "answers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "blocks_viewed",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("results", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("score", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column(
            "max_score",
            sa.Numeric(precision=10, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("attempts_used", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("time_spent_seconds", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column(
            "show_correct_answers", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("score_overridden_by", sa.BigInteger(), nullable=True),
        sa.Column("score_overridden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "assigned_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('assigned', 'in_progress', 'submitted', 'graded')",
            name=op.f("ck_lesson_assignments_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id", "group_id"],
            ["student_groups.teacher_id", "student_groups.id"],
            name="fk_lesson_assignments_group",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id", "lesson_id", "lesson_version"],
            ["lesson_versions.teacher_id", "lesson_versions.lesson_id", "lesson_versions.version"],
            name="fk_lesson_assignments_lesson_version",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id", "lesson_id"],
            ["lessons.teacher_id", "lessons.id"],
            name="fk_lesson_assignments_lesson",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id", "student_id"],
            ["students.teacher_id", "students.id"],
            name="fk_lesson_assignments_student",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("teacher_id", "id", name=op.f("pk_lesson_assignments")),
        sa.UniqueConstraint(
            "teacher_id", "lesson_id", "student_id", name="uq_lesson_assignments_lesson_student"
        ),
        postgresql_partition_by="HASH (teacher_id)",
    )
    op.create_index(
        "ix_lesson_assignments_status",
        "lesson_assignments",
        ["teacher_id", "status", "submitted_at"],
        unique=False,
    )
    op.create_index(
        "ix_lesson_assignments_student",
        "lesson_assignments",
        ["teacher_id", "student_id", "status"],
        unique=False,
    )
    op.create_table(
        "assignment_attempts",
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('assignment_attempts_id_seq')"),
            nullable=False,
        ),
        sa.Column("assignment_id", sa.BigInteger(), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("lesson_version", sa.Integer(), nullable=False),
        sa.Column(
            "answers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "results",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "auto_score",
            sa.Numeric(precision=10, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("score", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column(
            "max_score",
            sa.Numeric(precision=10, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("time_spent_seconds", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["teacher_id", "assignment_id"],
            ["lesson_assignments.teacher_id", "lesson_assignments.id"],
            name="fk_assignment_attempts_assignment",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("teacher_id", "id", name=op.f("pk_assignment_attempts")),
        sa.UniqueConstraint(
            "teacher_id", "assignment_id", "attempt_no", name="uq_assignment_attempts_attempt_no"
        ),
        postgresql_partition_by="HASH (teacher_id)",
    )
    op.create_table(
        "score_overrides",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("assignment_id", sa.BigInteger(), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.String(length=64), nullable=False),
        sa.Column("old_points", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("new_points", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("changed_by", sa.BigInteger(), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id", "assignment_id"],
            ["lesson_assignments.teacher_id", "lesson_assignments.id"],
            name="fk_score_overrides_assignment",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_overrides")),
    )
    op.create_index(
        "ix_score_overrides_assignment",
        "score_overrides",
        ["teacher_id", "assignment_id"],
        unique=False,
    )

    _partitions_rls_and_grants()


def downgrade() -> None:
    # Policies first: the student policies' subqueries depend on lesson_assignments.
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS teacher_access ON {table}")
        for command, _ in STUDENT_POLICIES.get(table, []):
            op.execute(f"DROP POLICY IF EXISTS student_{command.lower()} ON {table}")

    op.drop_index("ix_score_overrides_assignment", table_name="score_overrides")
    op.drop_table("score_overrides")
    op.drop_table("assignment_attempts")
    op.drop_index("ix_lesson_assignments_student", table_name="lesson_assignments")
    op.drop_index("ix_lesson_assignments_status", table_name="lesson_assignments")
    op.drop_table("lesson_assignments")
    op.drop_index("ix_student_group_members_student", table_name="student_group_members")
    op.drop_table("student_group_members")
    op.drop_table("lesson_versions")
    op.drop_index("ix_lessons_teacher_id_updated_at", table_name="lessons")
    op.drop_index("ix_lessons_tags", table_name="lessons", postgresql_using="gin")
    op.drop_table("lessons")
    op.drop_table("student_groups")
    op.drop_table("media")
    op.drop_table("folders")
    for sequence in PARTITIONED:
        op.execute(f"DROP SEQUENCE IF EXISTS {sequence}_id_seq")
