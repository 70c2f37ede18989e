"""The home page of each role, with real data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import CurrentActor, SessionDep
from app.api.templating import render
from app.core.clock import zone_of
from app.models.users import Role
from app.schemas.common import Pagination
from app.services.accounts import students as student_service
from app.services.accounts import users as account_service
from app.services.admin import teachers as teacher_service
from app.services.lms import assignments as assignment_service
from app.services.lms import overview as overview_service

router = APIRouter()
DASHBOARD_LIST_SIZE = 10


@router.get("/")
async def home() -> Response:
    """The site's root goes to the dashboard (or, signed out, to login via the middleware)."""
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard_page(request: Request, actor: CurrentActor, session: SessionDep) -> Response:
    """Superuser: teachers; teacher: what needs doing (work to grade, due dates, recent
    submissions, students falling behind) and their students; student: their assignments,
    their teacher and profile."""
    page = Pagination(limit=DASHBOARD_LIST_SIZE, offset=0)
    if actor.role is Role.SUPERUSER:
        teachers, total = await teacher_service.list_teachers(
            session, actor, limit=page.limit, offset=page.offset
        )
        return render(request, "dashboard/superuser.html", {"teachers": teachers, "total": total})
    if actor.role is Role.TEACHER:
        zone = await account_service.viewer_zone(session, actor)
        overview = await overview_service.teacher_overview(session, actor, zone=zone)
        students, total = await student_service.list_students_with_progress(
            session, actor, limit=page.limit, offset=page.offset
        )
        return render(
            request,
            "dashboard/teacher.html",
            {"students": students, "total": total, "overview": overview, "zone": zone},
        )
    profile, teacher = await student_service.get_own_profile(session, actor)
    # (items, total) per bucket; "todo" includes the overdue ones.
    assignments = {
        bucket: await assignment_service.list_assignments(
            session, actor, limit=page.limit, offset=page.offset, bucket=bucket
        )
        for bucket in ("overdue", "todo", "done")
    }
    return render(
        request,
        "dashboard/student.html",
        {
            "profile": profile,
            "teacher": teacher,
            "assignments": assignments,
            "zone": zone_of(profile.timezone),
        },
    )
