"""Row-Level Security with the service layer out of the way: raw SQL as the application role.

A forgotten `WHERE` in a service must leak nothing; these tests are that forgotten `WHERE`.
Each scenario sets the actor the way `app.core.database` does (transaction-local settings)
inside a savepoint that is rolled back, so the settings and any writes end with the block.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.config import Settings
from app.schemas.accounts import StudentRead, TeacherRead
from tests.conftest import People, login_as, make_settings

SET_ACTOR = text(
    "SELECT set_config('app.user_id', :user_id, true),"
    " set_config('app.teacher_id', :teacher_id, true),"
    " set_config('app.role', :role, true)"
)
INSUFFICIENT_PRIVILEGE = "42501"  # what PostgreSQL answers for a row that fails WITH CHECK
TABLES = ("users", "teachers", "students", "auth_sessions")


@pytest.fixture(scope="session")
def settings(owner_url: URL) -> Settings:
    """Overrides the shared fixture for this module: RLS does not depend on Argon2's cost."""
    return make_settings(owner_url, argon2_memory_cost=1024, argon2_time_cost=1)


@dataclass
class Tenants:
    superuser_id: int
    teacher_a: TeacherRead
    teacher_b: TeacherRead
    student_a: StudentRead
    classmate_a: StudentRead
    student_b: StudentRead

    def user_id(self, student: StudentRead) -> int:
        assert student.user_id is not None
        return student.user_id


@pytest.fixture
async def tenants(
    people: People, make_client: Callable[[], httpx.AsyncClient], connection: AsyncConnection
) -> Tenants:
    superuser_email = await people.superuser()
    teacher_a = await people.teacher()
    teacher_b = await people.teacher()
    student_a = await people.student(teacher_a)
    classmate_a = await people.student(teacher_a)
    student_b = await people.student(teacher_b)
    # Logins leave rows in auth_sessions for both tenants.
    for email in (superuser_email, teacher_a.email, teacher_b.email, student_b.email):
        await login_as(make_client(), email)
    async with acting_as(connection, role="system"):
        superuser_id = (
            await connection.execute(
                text("SELECT id FROM users WHERE email = :email"), {"email": superuser_email}
            )
        ).scalar_one()
    return Tenants(superuser_id, teacher_a, teacher_b, student_a, classmate_a, student_b)


async def set_actor(
    connection: AsyncConnection,
    *,
    role: str = "",
    user_id: int | None = None,
    teacher_id: int | None = None,
) -> None:
    await connection.execute(
        SET_ACTOR,
        {
            "user_id": "" if user_id is None else str(user_id),
            "teacher_id": "" if teacher_id is None else str(teacher_id),
            "role": role,
        },
    )


@asynccontextmanager
async def acting_as(
    connection: AsyncConnection,
    *,
    role: str = "",
    user_id: int | None = None,
    teacher_id: int | None = None,
) -> AsyncIterator[None]:
    """Run the block as this actor; its settings and writes are rolled back afterwards."""
    savepoint = await connection.begin_nested()
    try:
        await set_actor(connection, role=role, user_id=user_id, teacher_id=teacher_id)
        yield
    finally:
        await savepoint.rollback()


def as_teacher(
    connection: AsyncConnection, teacher: TeacherRead
) -> AbstractAsyncContextManager[None]:
    return acting_as(connection, role="teacher", user_id=teacher.id, teacher_id=teacher.id)


async def ids(connection: AsyncConnection, sql: str) -> set[int]:
    return set((await connection.execute(text(sql))).scalars())


async def readable_tables(connection: AsyncConnection, *, with_column: str = "") -> list[str]:
    """Tables in `public` the app role may SELECT from (others it cannot reach at all)."""
    rows = await connection.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
            " AND has_table_privilege(current_user, c.oid, 'SELECT')"
            " AND (:column = '' OR EXISTS (SELECT 1 FROM pg_attribute a"
            "   WHERE a.attrelid = c.oid AND a.attname = :column AND NOT a.attisdropped))"
            " ORDER BY c.relname"
        ),
        {"column": with_column},
    )
    return list(rows.scalars())


def assert_refused_by_rls(error: DBAPIError) -> None:
    assert getattr(error.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE, error
    assert "violates row-level security policy" in str(error)


async def test_teacher_sees_only_their_tenant(
    connection: AsyncConnection, tenants: Tenants
) -> None:
    a = tenants.teacher_a
    async with as_teacher(connection, a):
        assert await ids(connection, "SELECT id FROM students") == {
            tenants.student_a.id,
            tenants.classmate_a.id,
        }
        assert await ids(connection, "SELECT id FROM users") == {
            a.id,
            tenants.user_id(tenants.student_a),
            tenants.user_id(tenants.classmate_a),
        }
        assert await ids(connection, "SELECT id FROM teachers") == {a.id}
        assert await ids(connection, "SELECT user_id FROM auth_sessions") == {a.id}
        # Asking for the other tenant by id explicitly changes nothing.
        b_rows = await connection.execute(
            text("SELECT count(*) FROM students WHERE teacher_id = :b"), {"b": tenants.teacher_b.id}
        )
        assert b_rows.scalar_one() == 0


async def test_teacher_sees_no_row_of_another_tenant_in_any_tenant_table(
    connection: AsyncConnection, tenants: Tenants
) -> None:
    tables = await readable_tables(connection, with_column="teacher_id")
    assert {"users", "students"} <= set(tables)
    async with as_teacher(connection, tenants.teacher_a):
        for table in tables:
            foreign = await connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE teacher_id <> :a"),
                {"a": tenants.teacher_a.id},
            )
            assert foreign.scalar_one() == 0, table
    async with acting_as(connection, role="system"):
        foreign = await connection.execute(
            text("SELECT count(*) FROM students WHERE teacher_id <> :a"),
            {"a": tenants.teacher_a.id},
        )
        assert foreign.scalar_one() > 0


async def test_student_sees_own_profile_own_account_and_own_teacher(
    connection: AsyncConnection, tenants: Tenants
) -> None:
    student = tenants.student_a
    async with acting_as(
        connection, role="student", user_id=student.user_id, teacher_id=student.teacher_id
    ):
        assert await ids(connection, "SELECT id FROM students") == {student.id}
        assert await ids(connection, "SELECT id FROM users") == {
            tenants.user_id(student),
            tenants.teacher_a.id,
        }
        assert await ids(connection, "SELECT id FROM teachers") == {tenants.teacher_a.id}
        assert await ids(connection, "SELECT user_id FROM auth_sessions") == set()


async def test_no_actor_sees_no_row_of_any_table(
    connection: AsyncConnection, tenants: Tenants
) -> None:
    tables = await readable_tables(connection)
    assert set(TABLES) <= set(tables)
    # '' is what the settings read back as after any earlier transaction on a pooled connection.
    async with acting_as(connection):
        for table in tables:
            count = await connection.execute(text(f"SELECT count(*) FROM {table}"))
            assert count.scalar_one() == 0, table
    # The rows are there: only the missing actor hid them.
    async with acting_as(connection, role="system"):
        for table in TABLES:
            count = await connection.execute(text(f"SELECT count(*) FROM {table}"))
            assert count.scalar_one() > 0, table


async def test_an_unknown_role_sees_nothing_of_other_tenants(
    connection: AsyncConnection, tenants: Tenants
) -> None:
    """A tenant id with a role that is not 'teacher' does not open the tenant's students."""
    async with acting_as(connection, role="guardian", teacher_id=tenants.teacher_a.id):
        assert await ids(connection, "SELECT id FROM students") == set()
        assert await ids(connection, "SELECT id FROM users") == {tenants.teacher_a.id}


async def test_superuser_sees_every_account(connection: AsyncConnection, tenants: Tenants) -> None:
    async with acting_as(connection, role="superuser", user_id=tenants.superuser_id):
        assert await ids(connection, "SELECT id FROM users") == {
            tenants.superuser_id,
            tenants.teacher_a.id,
            tenants.teacher_b.id,
            tenants.user_id(tenants.student_a),
            tenants.user_id(tenants.classmate_a),
            tenants.user_id(tenants.student_b),
        }
        assert len(await ids(connection, "SELECT id FROM students")) == 3
        # Login sessions stay private even from the platform's admin.
        assert await ids(connection, "SELECT user_id FROM auth_sessions") == {tenants.superuser_id}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE students SET updated_at = now() WHERE teacher_id = :b",
        "UPDATE users SET name = 'Hacked' WHERE id = :b OR teacher_id = :b",
        "UPDATE teachers SET updated_at = now() WHERE id = :b",
        "UPDATE auth_sessions SET revoked_at = now() WHERE user_id = :b",
        "DELETE FROM auth_sessions WHERE user_id = :b",
        "DELETE FROM students WHERE teacher_id = :b",
        "DELETE FROM users WHERE teacher_id = :b",
    ],
)
async def test_writes_to_another_tenant_touch_no_row(
    connection: AsyncConnection, tenants: Tenants, statement: str
) -> None:
    b = tenants.teacher_b.id
    async with as_teacher(connection, tenants.teacher_a):
        result = await connection.execute(text(statement), {"b": b})
        assert result.rowcount == 0
        # The same statement aimed at the own tenant does reach rows: RLS, not the WHERE, hid B.
        own = await connection.execute(
            text(statement.replace("DELETE FROM users", "UPDATE users SET name = name")),
            {"b": tenants.teacher_a.id},
        )
        assert own.rowcount > 0
        await set_actor(connection, role="system")
        tenant_b = await connection.execute(
            text(
                "SELECT (SELECT count(*) FROM students WHERE teacher_id = :b),"
                " (SELECT count(*) FROM users WHERE (id = :b OR teacher_id = :b)"
                "   AND name <> 'Hacked'),"
                " (SELECT count(*) FROM auth_sessions WHERE user_id = :b AND revoked_at IS NULL)"
            ),
            {"b": b},
        )
        assert tuple(tenant_b.one()) == (1, 2, 1)


@pytest.mark.parametrize(
    ("statement", "control"),
    [
        (
            "INSERT INTO students (teacher_id, user_id) VALUES (:b, NULL)",
            "INSERT INTO students (teacher_id, user_id) VALUES (:a, NULL)",
        ),
        (
            "INSERT INTO users (email, password_hash, role, teacher_id, name, surname,"
            " timezone, language) VALUES ('planted@example.com', 'x', 'student', :b,"
            " 'P', 'P', 'UTC', 'en')",
            "INSERT INTO users (email, password_hash, role, teacher_id, name, surname,"
            " timezone, language) VALUES ('planted@example.com', 'x', 'student', :a,"
            " 'P', 'P', 'UTC', 'en')",
        ),
        (
            "UPDATE students SET teacher_id = :b WHERE teacher_id = :a",
            "UPDATE students SET teacher_id = :a WHERE teacher_id = :a",
        ),
        ("INSERT INTO teachers (id) VALUES (:b)", None),
        (
            "INSERT INTO auth_sessions (id, user_id, family_id, refresh_token_hash, expires_at)"
            " VALUES (gen_random_uuid(), :b, gen_random_uuid(), 'x', now() + interval '1 day')",
            "INSERT INTO auth_sessions (id, user_id, family_id, refresh_token_hash, expires_at)"
            " VALUES (gen_random_uuid(), :a, gen_random_uuid(), 'x', now() + interval '1 day')",
        ),
    ],
    ids=[
        "insert-student",
        "insert-user",
        "move-student",
        "insert-teacher",
        "insert-session",
    ],
)
async def test_rows_for_another_tenant_are_refused(
    connection: AsyncConnection, tenants: Tenants, statement: str, control: str | None
) -> None:
    params = {"a": tenants.teacher_a.id, "b": tenants.teacher_b.id}
    async with as_teacher(connection, tenants.teacher_a):
        with pytest.raises(DBAPIError) as caught:
            async with connection.begin_nested():
                await connection.execute(text(statement), params)
        assert_refused_by_rls(caught.value)
        if control is not None:
            # The same write within the own tenant goes through: the refusal above is RLS's.
            async with connection.begin_nested():
                assert (await connection.execute(text(control), params)).rowcount > 0
        # The transaction is still usable after the refusal.
        assert await ids(connection, "SELECT id FROM teachers") == {tenants.teacher_a.id}


@pytest.mark.parametrize(
    "statement",
    [
        # The teacher's account is visible to the student (the dashboard shows it) ...
        "UPDATE users SET email = 'taken-over@example.com' WHERE id <> :me",
        "UPDATE users SET is_active = false WHERE id <> :me",
        "DELETE FROM users WHERE id <> :me",
        # ... and so are the teacher's tenant row and the student's own profile.
        "UPDATE teachers SET updated_at = now()",
        "DELETE FROM teachers",
        "UPDATE students SET updated_at = now()",
        "DELETE FROM students",
    ],
)
async def test_student_can_read_but_not_write_their_teacher_or_profile(
    connection: AsyncConnection, tenants: Tenants, statement: str
) -> None:
    student = tenants.student_a
    async with acting_as(
        connection, role="student", user_id=student.user_id, teacher_id=student.teacher_id
    ):
        table = statement.split()[2 if statement.startswith("DELETE") else 1]
        assert await ids(connection, f"SELECT id FROM {table}")  # visible ...
        result = await connection.execute(text(statement), {"me": student.user_id})
        assert result.rowcount == 0  # ... yet untouchable
        # Their own account stays theirs to change (the language switch writes it).
        own = await connection.execute(
            text("UPDATE users SET language = 'en' WHERE id = :me"), {"me": student.user_id}
        )
        assert own.rowcount == 1


async def test_student_cannot_create_profiles(
    connection: AsyncConnection, tenants: Tenants
) -> None:
    student = tenants.student_a
    async with acting_as(
        connection, role="student", user_id=student.user_id, teacher_id=student.teacher_id
    ):
        with pytest.raises(DBAPIError) as caught:
            async with connection.begin_nested():
                await connection.execute(
                    text("INSERT INTO students (teacher_id, user_id) VALUES (:t, NULL)"),
                    {"t": student.teacher_id},
                )
        assert_refused_by_rls(caught.value)


async def test_app_role_is_unprivileged_and_owns_nothing(
    connection: AsyncConnection, settings: Settings
) -> None:
    role = (
        await connection.execute(
            text(
                "SELECT current_user, session_user, rolsuper, rolbypassrls, rolcreaterole,"
                " rolcreatedb FROM pg_roles WHERE rolname = current_user"
            )
        )
    ).one()
    assert role.current_user == role.session_user == settings.app_db_user
    assert (role.rolsuper, role.rolbypassrls, role.rolcreaterole, role.rolcreatedb) == (
        False,
        False,
        False,
        False,
    )
    owned = await connection.execute(
        text(
            "SELECT (SELECT count(*) FROM pg_tables WHERE tableowner = current_user),"
            " (SELECT count(*) FROM pg_class WHERE relowner = r.oid),"
            " (SELECT count(*) FROM pg_proc WHERE proowner = r.oid),"
            " (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)"
            " FROM pg_roles r WHERE r.rolname = current_user"
        )
    )
    assert tuple(owned.one()) == (0, 0, 0, 0)
    # Nor may it become the owner: membership would allow SET ROLE (and bypass RLS with it).
    borrowed = await connection.execute(
        text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND pg_has_role(current_user, tableowner, 'MEMBER')"
        )
    )
    assert borrowed.scalars().all() == []


async def test_every_table_has_row_level_security(connection: AsyncConnection) -> None:
    """A new table without RLS fails here (partitions included: they can be queried directly)."""
    rows = await connection.execute(
        text(
            "SELECT c.relname, c.relrowsecurity FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
            " AND c.relname <> 'alembic_version'"
        )
    )
    security: dict[str, bool] = dict(rows.all())
    assert set(TABLES) <= set(security)
    assert [table for table, enabled in security.items() if not enabled] == []


async def test_app_role_cannot_touch_the_migration_table(connection: AsyncConnection) -> None:
    privileges = await connection.execute(
        text(
            "SELECT privilege FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE',"
            " 'TRUNCATE']) AS privilege"
            " WHERE has_table_privilege(current_user, 'public.alembic_version', privilege)"
        )
    )
    assert privileges.scalars().all() == []


async def test_security_definer_functions_pin_their_search_path(
    connection: AsyncConnection,
) -> None:
    """Without a fixed search_path a SECURITY DEFINER function resolves names the caller chose."""
    rows = await connection.execute(
        text(
            "SELECT p.proname, p.proconfig FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public' AND p.prosecdef"
        )
    )
    functions: dict[str, list[str] | None] = dict(rows.all())
    assert {
        "auth_find_login",
        "auth_session_state",
        "auth_revoke_sessions",
        "audit_record",
        "email_is_taken",
    } <= set(functions)
    unpinned = [
        name
        for name, config in functions.items()
        if not any(setting.startswith("search_path=") for setting in config or [])
    ]
    assert unpinned == []


async def test_app_role_cannot_change_an_accounts_role_or_tenant(
    connection: AsyncConnection, people: People
) -> None:
    """Column privileges: even on their own row, the app may not rewrite `role`/`teacher_id`."""
    teacher = await people.teacher()
    await connection.execute(
        text(
            "SELECT set_config('app.user_id', :t, true), set_config('app.teacher_id', :t, true),"
            " set_config('app.role', 'teacher', true)"
        ),
        {"t": str(teacher.id)},
    )
    for statement in (
        "UPDATE users SET role = 'superuser' WHERE id = :t",
        "UPDATE users SET teacher_id = NULL WHERE id = :t",
    ):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with connection.begin_nested():
                await connection.execute(text(statement), {"t": teacher.id})
    async with connection.begin_nested():
        changed = await connection.execute(
            text("UPDATE users SET name = 'Renamed' WHERE id = :t"), {"t": teacher.id}
        )
    assert changed.rowcount == 1
