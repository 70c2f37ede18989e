"""Each role's home page."""

from app.api.dashboard import pages

API_ROUTERS = ()
PAGE_ROUTERS = (pages.router,)
