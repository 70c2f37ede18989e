"""Account security: sessions that really end, one-time passwords, password reset, audit log.

- `users.must_change_password`: a one-time password set by a teacher or the superuser; until
  the person chooses their own, their session opens nothing but the password change.
- `auth_sessions.ip_address`, `last_used_at`: what the "active sessions" list shows. Last use
  is written when the access token is renewed (every ACCESS_TOKEN_EXPIRE_MINUTES at most), not
  on every request: a write per request would cost more than the list is worth.
- `auth_session_state` replaces `auth_session_is_valid`: the per-request check (one round trip
  with the tenant context, as before) now also binds the tenant (`tid` in the token must be the
  account's tenant) and tells a session that must change its password from a valid one.
- `auth_revoke_sessions`: ends an account's sessions (all but the caller's own, when asked) on a
  password change, a deactivation or "log out everywhere else". A teacher cannot see their
  students' sessions under RLS, so this narrow SECURITY DEFINER function checks itself that the
  caller may manage the account.
- `password_reset_tokens`: only a token's hash is stored; the anonymous reset flow runs as the
  system actor (like the refresh-token renewal), so the table is visible to the system and to
  the account itself only.
- `audit_events`: security events. Written only through `audit_record` (it derives the tenant
  from the account concerned, and anonymous login failures must be recordable); the superuser
  reads all of it, a teacher their tenant's rows. No foreign keys: the log outlives accounts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_USER = "NULLIF(current_setting('app.user_id', true), '')::bigint"
APP_TEACHER = "NULLIF(current_setting('app.teacher_id', true), '')::bigint"
APP_ROLE = "current_setting('app.role', true)"
PLATFORM_WIDE = f"{APP_ROLE} IN ('superuser', 'system')"

SESSION_IS_VALID_0001 = """
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

FUNCTIONS = (
    "auth_session_state(uuid, bigint, text, bigint)",
    "auth_revoke_sessions(bigint, uuid, boolean)",
    "audit_record(text, bigint, bigint, text, text, jsonb)",
)


def _app_role() -> str:
    return str(context.config.attributes["app_role"])


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=None if nullable else sa.func.now(),
        nullable=nullable,
    )


def upgrade() -> None:
    app_role = _app_role()
    op.add_column(
        "users",
        sa.Column(
            "must_change_password", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.execute(f"GRANT UPDATE (must_change_password) ON users TO {app_role}")
    op.add_column("auth_sessions", sa.Column("ip_address", sa.String(length=45), nullable=True))
    op.add_column("auth_sessions", _timestamp("last_used_at", nullable=True))

    op.execute("DROP FUNCTION auth_session_is_valid(uuid, bigint, text)")
    op.execute(
        """
        CREATE FUNCTION auth_session_state(
            p_session uuid, p_user bigint, p_role text, p_tenant bigint
        )
        RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
            SELECT COALESCE((
                SELECT CASE WHEN u.must_change_password THEN 'password_change_required'
                            ELSE 'active' END
                FROM auth_sessions s
                JOIN users u ON u.id = s.user_id
                LEFT JOIN users t ON t.id = u.teacher_id
                WHERE s.id = p_session AND s.user_id = p_user AND u.role = p_role
                  AND s.revoked_at IS NULL AND s.expires_at > now()
                  AND u.is_active AND (u.teacher_id IS NULL OR t.is_active)
                  AND (CASE WHEN u.role = 'teacher' THEN u.id ELSE u.teacher_id END)
                      IS NOT DISTINCT FROM p_tenant
            ), 'ended')
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION auth_revoke_sessions(
            p_user bigint, p_except uuid DEFAULT NULL, p_with_students boolean DEFAULT false
        )
        RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path FROM CURRENT AS $$
        DECLARE
            target users%ROWTYPE;
            revoked integer;
        BEGIN
            SELECT * INTO target FROM users WHERE id = p_user;
            IF NOT FOUND THEN
                RETURN 0;
            END IF;
            -- The caller may manage this account: the platform, the account itself, or the
            -- teacher whose student it is. Anything else changes nothing.
            IF NOT ({PLATFORM_WIDE}
                    OR target.id = {APP_USER}
                    OR ({APP_ROLE} = 'teacher' AND target.teacher_id = {APP_TEACHER})) THEN
                RAISE EXCEPTION 'not allowed to end the sessions of user %', p_user
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            UPDATE auth_sessions SET revoked_at = now(), updated_at = now()
            WHERE revoked_at IS NULL
              AND id IS DISTINCT FROM p_except
              AND (user_id = p_user
                   OR (p_with_students AND target.role = 'teacher'
                       AND user_id IN (SELECT id FROM users WHERE teacher_id = p_user)));
            GET DIAGNOSTICS revoked = ROW_COUNT;
            RETURN revoked;
        END
        $$
        """
    )

    op.create_table(
        "password_reset_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _timestamp("created_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _timestamp("used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_password_reset_tokens"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_password_reset_tokens_user_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_password_reset_tokens_user_id", "password_reset_tokens", ["user_id"], unique=False
    )
    reset_policy = f"{APP_ROLE} = 'system' OR user_id = {APP_USER}"
    op.execute("ALTER TABLE password_reset_tokens ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON password_reset_tokens"
        f" USING ({reset_policy}) WITH CHECK ({reset_policy})"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON password_reset_tokens TO {app_role}")

    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        _timestamp("created_at"),
        sa.Column("teacher_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("subject_user_id", sa.BigInteger(), nullable=True),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column(
            "detail",
            sa.dialects.postgresql.JSONB(),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index(
        "ix_audit_events_teacher_id_created_at",
        "audit_events",
        ["teacher_id", sa.text("created_at DESC"), sa.text("id DESC")],
    )
    op.create_index(
        "ix_audit_events_created_at",
        "audit_events",
        [sa.text("created_at DESC"), sa.text("id DESC")],
    )
    audit_read = f"{PLATFORM_WIDE} OR (teacher_id = {APP_TEACHER} AND {APP_ROLE} = 'teacher')"
    op.execute("ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_read ON audit_events FOR SELECT USING ({audit_read})")
    # Read-only for the app: rows arrive through audit_record and are never changed.
    op.execute(f"GRANT SELECT ON audit_events TO {app_role}")
    op.execute(
        """
        CREATE FUNCTION audit_record(
            p_event text, p_subject bigint, p_actor bigint, p_ip text, p_user_agent text,
            p_detail jsonb
        )
        RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path FROM CURRENT AS $$
            INSERT INTO audit_events (teacher_id, actor_user_id, subject_user_id, event,
                                      ip_address, user_agent, detail)
            SELECT
                -- The tenant the event belongs to: the account's own (a teacher's is their id),
                -- or none (the superuser's, an unknown e-mail): those only the superuser sees.
                (SELECT CASE WHEN u.role = 'teacher' THEN u.id ELSE u.teacher_id END
                 FROM users u WHERE u.id = p_subject),
                p_actor, p_subject, left(p_event, 64), left(p_ip, 45), left(p_user_agent, 255),
                COALESCE(p_detail, '{}'::jsonb)
        $$
        """
    )
    for function in FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {app_role}")


def downgrade() -> None:
    app_role = _app_role()
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_table("audit_events")
    op.drop_table("password_reset_tokens")
    op.execute(SESSION_IS_VALID_0001)
    op.execute("REVOKE ALL ON FUNCTION auth_session_is_valid(uuid, bigint, text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION auth_session_is_valid(uuid, bigint, text) TO {app_role}")
    op.drop_column("auth_sessions", "last_used_at")
    op.drop_column("auth_sessions", "ip_address")
    op.execute(f"REVOKE UPDATE (must_change_password) ON users FROM {app_role}")
    op.drop_column("users", "must_change_password")
