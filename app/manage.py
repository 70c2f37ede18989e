"""Command-line management: `python -m app.manage --help`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from datetime import date
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy.engine import URL

from app.core import jobs
from app.core.actor import Actor
from app.core.config import Settings, get_settings
from app.core.database import Database, resolve_owner_url
from app.core.embedded_db import EmbeddedPostgres, start_embedded_postgres
from app.core.errors import Conflict
from app.core.events import EventBus
from app.core.migrations import upgrade_to_head
from app.models.users import Role
from app.schemas.accounts import PersonCreate
from app.services.accounts import users as accounts
from app.services.auth import jobs as auth_jobs
from app.subscriptions import subscribe_all

cli = typer.Typer(
    help="Tutor Platform management commands.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEMO_ADMIN_EMAIL = "admin@example.com"


def _fail(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def _validation_message(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "input"
        lines.append(f"  --{field}: {item['msg']}")
    return "Invalid input:\n" + "\n".join(lines)


async def _create_superuser(settings: Settings, data: PersonCreate) -> int:
    database = Database.connect(
        settings.app_database_url_for(resolve_owner_url(settings)), settings
    )
    subscribe_all(database.events)
    try:
        async with database.transaction(Actor.system()) as session:
            user = await accounts.create_user(
                session, settings, data, role=Role.SUPERUSER, teacher_id=None
            )
            assert user.id is not None
            return user.id
    finally:
        await database.dispose()


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="Login e-mail of the new Superuser.")],
    password: Annotated[
        str,
        typer.Option(
            help="At least 10 characters with upper- and lower-case letters, a digit"
            " and a special character."
        ),
    ],
    name: Annotated[str, typer.Option(help="First name.")],
    surname: Annotated[str, typer.Option(help="Surname.")],
    second_name: Annotated[
        str | None, typer.Option("--second_name", "--second-name", help="Patronymic (optional).")
    ] = None,
    birthday: Annotated[
        str | None, typer.Option(help="Birth date as YYYY-MM-DD (optional).")
    ] = None,
) -> None:
    """Create a Superuser (platform administrator) who can then create teachers."""
    settings = get_settings()
    try:
        data = PersonCreate(
            email=email,
            password=password,
            name=name,
            surname=surname,
            second_name=second_name,
            birthday=date.fromisoformat(birthday) if birthday else None,
        )
    except ValidationError as error:
        raise _fail(_validation_message(error)) from None
    except ValueError:
        raise _fail("Invalid input:\n  --birthday: use the form YYYY-MM-DD") from None
    try:
        user_id = asyncio.run(_create_superuser(settings, data))
    except Conflict as error:
        raise _fail(f"{error.message}: {data.email}") from None
    typer.echo(f"Superuser {data.email} created (id {user_id}).")


@cli.command("migrate")
def migrate() -> None:
    """Apply database migrations (alembic upgrade head) as the schema owner."""
    settings = get_settings()
    upgrade_to_head(resolve_owner_url(settings), settings)
    typer.echo("Database is up to date.")


async def _superuser_count(settings: Settings, database: Database) -> int:
    async with database.transaction(Actor.system()) as session:
        return await accounts.count_users(session, Role.SUPERUSER)


async def _ensure_demo_admin(settings: Settings, database: Database) -> str | None:
    """On a brand-new embedded database, create a demo admin and return its one-time password."""
    if await _superuser_count(settings, database) > 0:
        return None
    password = "Demo-" + secrets.token_urlsafe(12) + "7!"
    data = PersonCreate(email=DEMO_ADMIN_EMAIL, password=password, name="Demo", surname="Admin")
    async with database.transaction(Actor.system()) as session:
        await accounts.create_user(session, settings, data, role=Role.SUPERUSER, teacher_id=None)
    return password


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


async def _serve_with_worker(config: uvicorn.Config, settings: Settings, app_url: URL) -> bool:
    """The server and, unless JOBS_WORKER_IN_SERVER=false, a jobs worker in the same event loop;
    a worker that fails stops the server. Returns whether the server started."""
    server = uvicorn.Server(config)
    if not settings.jobs_worker_in_server:
        await server.serve()
        return server.started

    def stop_server_if_failed(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            server.should_exit = True

    worker = asyncio.create_task(
        jobs.work(
            settings,
            app_url,
            events=subscribe_all(EventBus()),
            name="serve",
            install_signal_handlers=False,
        )
    )
    worker.add_done_callback(stop_server_if_failed)
    try:
        await server.serve()
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    return server.started


@cli.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port (or the PORT variable).")] = 8000,
) -> None:
    """Start the platform: the embedded PostgreSQL if none is configured, migrations, the server."""
    settings = get_settings()
    embedded: EmbeddedPostgres | None = None
    owner_url = settings.owner_database_url()
    if owner_url is None:
        typer.echo(f"Starting the embedded PostgreSQL (data in {settings.var_dir / 'pg'}) ...")
        embedded = start_embedded_postgres(settings.var_dir / "pg")
        owner_url = embedded.owner_url
    try:
        upgrade_to_head(owner_url, settings)
        database = Database.connect(settings.app_database_url_for(owner_url), settings)
        subscribe_all(database.events)

        async def first_run() -> str | None:
            try:
                if embedded is None:
                    return None
                return await _ensure_demo_admin(settings, database)
            finally:
                await database.dispose()

        demo_password = asyncio.run(first_run())
        url = f"http://{host}:{port}"
        typer.echo(f"\nTutor Platform: {url}")
        if demo_password:
            typer.secho(
                f"First run: a demo administrator was created.\n"
                f"  e-mail:   {DEMO_ADMIN_EMAIL}\n  password: {demo_password}\n"
                "  (shown once; or create your own administrator with\n"
                "   .venv/bin/python -m app.manage create-admin --email ... --password ... "
                "--name ... --surname ...)",
                fg=typer.colors.YELLOW,
            )
        else:
            typer.echo("Log in with an administrator account (python -m app.manage create-admin).")
        if settings.jobs_worker_in_server:
            typer.echo("Background jobs run in this process too (a worker beside the server).")
        typer.echo("Press Ctrl-C to stop.\n")
        # uvicorn re-raises the signal that stopped it once it has shut down; as Python
        # exceptions both SIGINT and SIGTERM then unwind through `finally` (the worker stops
        # after its running jobs, then PostgreSQL). Our own SIGINT handler also keeps asyncio
        # from cancelling the main task, which would cut the worker's shutdown short.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        signal.signal(signal.SIGINT, _exit_on_signal)
        config = uvicorn.Config(
            "app.main:app", host=host, port=port, proxy_headers=True, log_level="info"
        )
        worker_url = settings.app_database_url_for(owner_url)
        if not asyncio.run(_serve_with_worker(config, settings, worker_url)):
            raise SystemExit(3)  # uvicorn's exit code for a server that failed to start
    finally:
        if embedded is not None:
            typer.echo("Stopping the embedded PostgreSQL ...")
            embedded.stop()


@cli.command("worker")
def worker() -> None:
    """Run a background-jobs worker alone; Ctrl-C or SIGTERM stops it after its running jobs."""
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app_url = settings.app_database_url_for(resolve_owner_url(settings))
    typer.echo("Starting a jobs worker (Ctrl-C stops it) ...")
    try:
        asyncio.run(jobs.work(settings, app_url, events=subscribe_all(EventBus())))
    except jobs.JobsSchemaMissing as error:
        raise _fail(str(error)) from None
    typer.echo("Jobs worker stopped.")


async def _cleanup_sessions(settings: Settings) -> int:
    database = Database.connect(
        settings.app_database_url_for(resolve_owner_url(settings)), settings
    )
    subscribe_all(database.events)
    try:
        async with database.transaction(Actor.system()) as session:
            return await auth_jobs.delete_ended_sessions(session)
    finally:
        await database.dispose()


@cli.command("cleanup-sessions")
def cleanup_sessions() -> None:
    """Delete login sessions that ended more than a week ago (a worker also does it hourly)."""
    deleted = asyncio.run(_cleanup_sessions(get_settings()))
    typer.echo(f"Deleted {deleted} ended login sessions.")


if __name__ == "__main__":
    cli()
