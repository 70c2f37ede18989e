"""Foundation: users, teachers, students, login sessions; the app role; Row-Level Security.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What RLS policies read. NULLIF: after a transaction the settings read back as '' (not NULL),
# so with no actor set every comparison is NULL and no row is visible.
APP_USER = "NULLIF(current_setting('app.user_id', true), '')::bigint"
APP_TEACHER = "NULLIF(current_setting('app.teacher_id', true), '')::bigint"
APP_ROLE = "current_setting('app.role', true)"
PLATFORM_WIDE = f"{APP_ROLE} IN ('superuser', 'system')"


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


# Visibility of each table, as one USING/WITH CHECK expression per table.
POLICIES = {
    "teachers": f"{PLATFORM_WIDE} OR id = {APP_TEACHER}",
    # A user sees themself; a student sees their teacher; a teacher sees their students' accounts.
    "users": (
        f"{PLATFORM_WIDE} OR id = {APP_USER} OR id = {APP_TEACHER}"
        f" OR (teacher_id = {APP_TEACHER} AND {APP_ROLE} = 'teacher')"
    ),
    # A teacher sees their students; a student sees only their own profile.
    "students": (
        f"{PLATFORM_WIDE} OR (teacher_id = {APP_TEACHER}"
        f" AND ({APP_ROLE} = 'teacher' OR user_id = {APP_USER}))"
    ),
    "auth_sessions": f"{APP_ROLE} = 'system' OR user_id = {APP_USER}",
}


def _app_role() -> str:
    # The role name is a setting (APP_DB_USER) that env.py passes through.
    return str(context.config.attributes["app_role"])


def upgrade() -> None:
    op.create_table(
        "teachers",
        *_timestamps(),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teachers"),
    )
    op.create_table(
        "users",
        *_timestamps(),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("teacher_id", sa.BigInteger(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("surname", sa.String(length=100), nullable=False),
        sa.Column("second_name", sa.String(length=100), nullable=True),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("teacher_id", "id", name="uq_users_teacher_id_id"),
        sa.CheckConstraint(
            "role IN ('superuser', 'teacher', 'student')", name="ck_users_role_known"
        ),
        sa.CheckConstraint(
            "(role = 'student') = (teacher_id IS NOT NULL)", name="ck_users_tenant_by_role"
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["teachers.id"],
            name="fk_users_teacher_id_teachers",
            ondelete="RESTRICT",
        ),
    )
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    op.create_foreign_key(
        "fk_teachers_id_users", "teachers", "users", ["id"], ["id"], ondelete="CASCADE"
    )
    op.create_table(
        "students",
        *_timestamps(),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_students"),
        sa.UniqueConstraint("teacher_id", "id", name="uq_students_teacher_id_id"),
        sa.UniqueConstraint("user_id", name="uq_students_user_id"),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["teachers.id"],
            name="fk_students_teacher_id_teachers",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id", "user_id"],
            ["users.teacher_id", "users.id"],
            name="fk_students_teacher_id_user_id_users",
            ondelete="RESTRICT",
        ),
    )
    op.create_table(
        "auth_sessions",
        *_timestamps(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=False),
        sa.Column("previous_token_hash", sa.String(length=64), nullable=True),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_auth_sessions_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])

    # Functions the app may call before it knows the tenant. SECURITY DEFINER runs them as the
    # owner (not bound by RLS); each answers one narrow question and nothing more.
    op.execute(
        """
        CREATE FUNCTION auth_session_is_valid(p_session uuid, p_user bigint, p_role text)
        RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
            SELECT EXISTS (
                SELECT 1
                FROM auth_sessions s
                JOIN users u ON u.id = s.user_id
                LEFT JOIN users t ON t.id = u.teacher_id
                WHERE s.id = p_session AND s.user_id = p_user AND u.role = p_role
                  AND s.revoked_at IS NULL AND s.expires_at > now()
                  AND u.is_active AND (u.teacher_id IS NULL OR t.is_active)
            )
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION auth_find_login(p_email text)
        RETURNS TABLE (id bigint, password_hash text, role text, teacher_id bigint,
                       is_active boolean, teacher_is_active boolean)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
            SELECT u.id, u.password_hash, u.role, u.teacher_id, u.is_active,
                   COALESCE(t.is_active, true)
            FROM users u LEFT JOIN users t ON t.id = u.teacher_id
            WHERE lower(u.email) = lower(p_email)
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION email_is_taken(p_email text, p_except_user bigint DEFAULT NULL)
        RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
            SELECT EXISTS (
                SELECT 1 FROM users
                WHERE lower(email) = lower(p_email) AND id IS DISTINCT FROM p_except_user
            )
        $$
        """
    )

    app_role = _app_role()
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{app_role}') THEN
                CREATE ROLE {app_role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
        END $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {app_role}")
    for table, expression in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({expression}) WITH CHECK ({expression})"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {app_role}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {app_role}")
    for function in (
        "auth_session_is_valid(uuid, bigint, text)",
        "auth_find_login(text)",
        "email_is_taken(text, bigint)",
    ):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {app_role}")


def downgrade() -> None:
    app_role = _app_role()
    op.execute("DROP FUNCTION IF EXISTS email_is_taken(text, bigint)")
    op.execute("DROP FUNCTION IF EXISTS auth_find_login(text)")
    op.execute("DROP FUNCTION IF EXISTS auth_session_is_valid(uuid, bigint, text)")
    op.drop_table("auth_sessions")
    op.drop_table("students")
    op.drop_constraint("fk_teachers_id_users", "teachers", type_="foreignkey")
    op.drop_table("users")
    op.drop_table("teachers")
    # The role is shared by every database on the server, so it is left in place; it owns nothing.
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {app_role}")
