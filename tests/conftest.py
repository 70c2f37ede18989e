"""Shared fixtures: a real PostgreSQL, migrations once per session, a rolled-back transaction per
test, the real app (middleware included) over httpx, and factories for people."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from app.core.actor import Actor
from app.core.config import Environment, Settings
from app.core.cookies import CSRF_COOKIE, CSRF_HEADER
from app.core.database import Database, make_sessionmaker
from app.core.migrations import upgrade_to_head
from app.main import create_app
from app.models.users import Role
from app.schemas.accounts import StudentCreate, StudentRead, TeacherCreate, TeacherRead
from app.services.accounts import students as student_service
from app.services.accounts import users as accounts
from app.services.admin import teachers as teacher_service
from tests.db_server import create_database, drop_database, test_server, unique_name

PASSWORD = "Correct-Horse-42!"


@pytest.fixture(scope="session")
def server_url() -> Iterator[URL]:
    with test_server() as url:
        yield url


@pytest.fixture(scope="session")
def owner_url(server_url: URL) -> Iterator[URL]:
    """A fresh database for this test session, migrated to head by the owner."""
    name = unique_name("tutor_test")
    url = create_database(server_url, name)
    upgrade_to_head(url, make_settings(url))
    yield url
    drop_database(server_url, name)


def make_settings(owner_url: URL, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": Environment.TEST,
        "database_url": owner_url.render_as_string(hide_password=False),
        "secret_key": SecretStr("test-secret-key-that-is-long-enough-0123456789"),
        # The OWASP minimum: ~26 ms a hash instead of ~158 ms.
        "argon2_memory_cost": 19456,
        "argon2_time_cost": 2,
        "argon2_parallelism": 1,
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
def settings(owner_url: URL) -> Settings:
    return make_settings(owner_url)


@pytest.fixture(scope="session")
async def app_engine(settings: Settings, owner_url: URL) -> AsyncIterator[AsyncEngine]:
    """Connects as the application role: no superuser, no BYPASSRLS, owns nothing."""
    engine = create_async_engine(settings.app_database_url_for(owner_url), poolclass=NullPool)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(app_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction per test, rolled back at the end: tests never see each other's data."""
    async with app_engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
def database(connection: AsyncConnection, app_engine: AsyncEngine) -> Database:
    sessionmaker = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    return Database(engine=app_engine, sessionmaker=sessionmaker)


@pytest.fixture
def app(settings: Settings, database: Database):
    return create_app(settings, database)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def make_client(app):
    """More independent browsers/clients in one test (each with its own cookie jar)."""
    clients: list[httpx.AsyncClient] = []

    def factory() -> httpx.AsyncClient:
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(c)
        return c

    yield factory
    for c in clients:
        await c.aclose()


async def login_as(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    """Log in through the real endpoint; the client then carries the cookies and CSRF header."""
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
    return response


async def after_reuse_grace(database: Database) -> None:
    """Move every refresh-token rotation back in time, past the grace for parallel requests:
    a replay from now on is a stolen token, not a slower twin request."""
    async with database.transaction(Actor.system()) as session:
        await session.execute(
            text("UPDATE auth_sessions SET rotated_at = rotated_at - interval '1 hour'")
        )


@dataclass
class People:
    """Factories: `await people.teacher()`, `await people.student(teacher)`."""

    database: Database
    settings: Settings
    counter: int = 0

    def _next(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}@example.com"

    async def superuser(self, email: str | None = None) -> str:
        email = email or self._next("admin")
        async with self.database.transaction(Actor.system()) as session:
            data = TeacherCreate(email=email, password=PASSWORD, name="Ada", surname="Admin")
            await accounts.create_user(
                session, self.settings, data, role=Role.SUPERUSER, teacher_id=None
            )
        return email

    async def teacher(self, email: str | None = None, **fields: object) -> TeacherRead:
        data = TeacherCreate.model_validate(
            {
                "email": email or self._next("teacher"),
                "password": PASSWORD,
                "name": "Tina",
                "surname": "Teacher",
                **fields,
            }
        )
        async with self.database.transaction(Actor(role=Role.SUPERUSER, user_id=0)) as session:
            return await teacher_service.create_teacher(
                session, Actor(role=Role.SUPERUSER, user_id=0), self.settings, data
            )

    async def student(
        self, teacher: TeacherRead, email: str | None = None, **fields: object
    ) -> StudentRead:
        actor = teacher_actor(teacher)
        data = StudentCreate.model_validate(
            {
                "email": email or self._next("student"),
                "password": PASSWORD,
                "name": "Sam",
                "surname": "Student",
                **fields,
            }
        )
        async with self.database.transaction(actor) as session:
            return await student_service.create_student(session, actor, self.settings, data)


def teacher_actor(teacher: TeacherRead) -> Actor:
    return Actor(user_id=teacher.id, role=Role.TEACHER, teacher_id=teacher.id)


def student_actor(student: StudentRead) -> Actor:
    return Actor(user_id=student.user_id, role=Role.STUDENT, teacher_id=student.teacher_id)


@pytest.fixture
def people(database: Database, settings: Settings) -> People:
    return People(database=database, settings=settings)
