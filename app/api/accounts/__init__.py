"""Accounts: the signed-in person's own account, a teacher's students, and the audit log."""

from app.api.accounts import audit, audit_pages, me, me_pages, students, students_pages

API_ROUTERS = (me.router, students.router, audit.router)
PAGE_ROUTERS = (me_pages.router, students_pages.router, audit_pages.router)
