"""The ASGI application: `create_app()` wires settings, database, middleware and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.api import ops
from app.api.errors import register_error_handlers
from app.api.pages import admin as admin_pages
from app.api.pages import auth as auth_pages
from app.api.pages import dashboard as dashboard_pages
from app.api.pages import grading as grading_pages
from app.api.pages import groups as group_pages
from app.api.pages import lessons as lesson_pages
from app.api.pages import player as player_pages
from app.api.pages import students as student_pages
from app.api.session_renewal import renew_session
from app.api.templating import STATIC_DIR
from app.api.v1 import admin as admin_api
from app.api.v1 import assignments as assignments_api
from app.api.v1 import auth as auth_api
from app.api.v1 import groups as groups_api
from app.api.v1 import lessons as lessons_api
from app.api.v1 import students as students_api
from app.api.v1 import users as users_api
from app.core.config import Settings, get_settings
from app.core.database import Database
from app.core.embedded_db import start_embedded_postgres
from app.core.middleware import AuthMiddleware, CSRFMiddleware


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the app. Tests pass their own `database` (bound to a rolled-back transaction)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if database is not None:
            app.state.db = database
            yield
            return
        owner_url = settings.owner_database_url()
        if owner_url is None:
            # Left running at shutdown: `python -m app.manage serve` stops it; under
            # `uvicorn --reload` it survives reloads.
            owner_url = start_embedded_postgres(settings.var_dir / "pg").owner_url
        app.state.db = Database.connect(settings.app_database_url_for(owner_url), settings)
        try:
            yield
        finally:
            await app.state.db.dispose()

    app = FastAPI(
        title="Tutor Platform",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    if database is not None:
        app.state.db = database
    register_error_handlers(app)

    api_routers = (
        auth_api.router,
        users_api.router,
        admin_api.router,
        students_api.router,
        lessons_api.router,
        groups_api.router,
        assignments_api.router,
    )
    for router in api_routers:
        app.include_router(router, prefix="/api/v1")
    for router in (
        auth_pages.router,
        dashboard_pages.router,
        admin_pages.router,
        student_pages.router,
        lesson_pages.router,
        group_pages.router,
        player_pages.router,
        grading_pages.router,
    ):
        app.include_router(router, include_in_schema=False)
    app.include_router(ops.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # Starlette runs the last-added middleware first: auth identifies, then CSRF checks.
    app.add_middleware(CSRFMiddleware, settings=settings)
    app.add_middleware(AuthMiddleware, settings=settings, renew_session=renew_session)
    return app


app = create_app()
