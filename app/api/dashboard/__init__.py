"""Each role's home page, and the teacher's overview as JSON."""

from app.api.dashboard import overview, pages

API_ROUTERS = (overview.router,)
PAGE_ROUTERS = (pages.router,)
