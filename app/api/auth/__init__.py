"""Logging in and out (JSON and pages) and the language switch."""

from app.api.auth import sessions, sessions_pages

API_ROUTERS = (sessions.router,)
PAGE_ROUTERS = (sessions_pages.router,)
