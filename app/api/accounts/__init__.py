"""Accounts: the signed-in person's own account and a teacher's students."""

from app.api.accounts import me, students, students_pages

API_ROUTERS = (me.router, students.router)
PAGE_ROUTERS = (students_pages.router,)
