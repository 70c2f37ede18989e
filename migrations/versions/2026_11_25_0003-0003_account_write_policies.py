"""Accounts: reading and writing are separate policies, so a student can read their teacher's
account and profile rows without being able to change them.

0001 used one `FOR ALL` policy per table, so every row a student could see (their teacher's
`users` row: e-mail, password hash, role) they could also update or delete; a forgotten `WHERE`
in a student-facing service would have been an account takeover.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import context, op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_USER = "NULLIF(current_setting('app.user_id', true), '')::bigint"
APP_TEACHER = "NULLIF(current_setting('app.teacher_id', true), '')::bigint"
APP_ROLE = "current_setting('app.role', true)"
PLATFORM_WIDE = f"{APP_ROLE} IN ('superuser', 'system')"
TEACHER = f"{APP_ROLE} = 'teacher'"

# 0001's policies, which stay the read policies (and come back as they were on downgrade).
READ = {
    "teachers": f"{PLATFORM_WIDE} OR id = {APP_TEACHER}",
    "users": (
        f"{PLATFORM_WIDE} OR id = {APP_USER} OR id = {APP_TEACHER}"
        f" OR (teacher_id = {APP_TEACHER} AND {APP_ROLE} = 'teacher')"
    ),
    "students": (
        f"{PLATFORM_WIDE} OR (teacher_id = {APP_TEACHER}"
        f" AND ({APP_ROLE} = 'teacher' OR user_id = {APP_USER}))"
    ),
}
# Who may insert, update and delete: the platform, a teacher in their own tenant, and any user
# on their own account (the language switch). Never a student on anyone else's row.
WRITE = {
    "teachers": f"{PLATFORM_WIDE} OR (id = {APP_TEACHER} AND {TEACHER})",
    "users": f"{PLATFORM_WIDE} OR id = {APP_USER} OR (teacher_id = {APP_TEACHER} AND {TEACHER})",
    "students": f"{PLATFORM_WIDE} OR (teacher_id = {APP_TEACHER} AND {TEACHER})",
}


# What the application may change on an account. `role` and `teacher_id` are not in the list:
# no code path changes them, so no SQL run as the app (a bug, an injection) can either.
USER_UPDATABLE = (
    "email, password_hash, is_active, name, surname, second_name, birthday, timezone, language,"
    " updated_at"
)


def _app_role() -> str:
    return str(context.config.attributes["app_role"])


def upgrade() -> None:
    app_role = _app_role()
    op.execute(f"REVOKE UPDATE ON users FROM {app_role}")
    op.execute(f"GRANT UPDATE ({USER_UPDATABLE}) ON users TO {app_role}")
    for table, read in READ.items():
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({read})")
        # FOR ALL: it also grants SELECT, but only rows the read policy shows anyway.
        write = WRITE[table]
        op.execute(f"CREATE POLICY tenant_write ON {table} USING ({write}) WITH CHECK ({write})")


def downgrade() -> None:
    app_role = _app_role()
    op.execute(f"REVOKE UPDATE ({USER_UPDATABLE}) ON users FROM {app_role}")
    op.execute(f"GRANT UPDATE ON users TO {app_role}")
    for table, read in READ.items():
        op.execute(f"DROP POLICY tenant_write ON {table}")
        op.execute(f"DROP POLICY tenant_read ON {table}")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({read}) WITH CHECK ({read})")
