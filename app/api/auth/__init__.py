"""Logging in and out (JSON and pages), password reset by e-mail, and the language switch."""

from app.api.auth import password_reset, password_reset_pages, sessions, sessions_pages

API_ROUTERS = (sessions.router, password_reset.router)
PAGE_ROUTERS = (sessions_pages.router, password_reset_pages.router)
