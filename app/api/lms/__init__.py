"""The LMS's routes: lessons and folders, the builder, groups, assignments, the player and the
teacher's reviews."""

from app.api.lms import (
    assigning_pages,
    assignments,
    builder_pages,
    groups,
    groups_pages,
    lessons,
    lessons_pages,
    player_pages,
    quiz_import,
    quiz_import_pages,
    reviews_pages,
)

API_ROUTERS = (lessons.router, quiz_import.router, groups.router, assignments.router)
PAGE_ROUTERS = (
    lessons_pages.router,
    builder_pages.router,
    assigning_pages.router,
    groups_pages.router,
    player_pages.router,
    reviews_pages.router,
    quiz_import_pages.router,
)
