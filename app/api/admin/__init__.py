"""The superuser's routes: teachers."""

from app.api.admin import teachers, teachers_pages

API_ROUTERS = (teachers.router,)
PAGE_ROUTERS = (teachers_pages.router,)
