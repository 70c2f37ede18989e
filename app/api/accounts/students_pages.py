"""Teacher pages: the student list, create a student, edit a student, and a student's page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import IdPath, SessionDep, TeacherActor
from app.api.people_pages import PeoplePages, PeopleService, people_router
from app.api.templating import render
from app.core.i18n import N_
from app.schemas.accounts import StudentCreate, StudentUpdate
from app.schemas.common import Pagination
from app.schemas.lms.overview import ScorePoint
from app.services.accounts import students as student_service
from app.services.accounts import users as account_service
from app.services.lms import assignments as assignment_service
from app.services.lms import overview as overview_service
from app.services.lms import progress as progress_service

STUDENT_PAGES = PeoplePages(
    list_url="/students",
    new_url="/students/new",
    title=N_("Students"),
    new_title=N_("New student"),
    edit_title=N_("Edit student"),
    create_label=N_("Create student"),
    created=N_("Student {name} created"),
    table="accounts/_student_table.html",
    create_schema=StudentCreate,
    update_schema=StudentUpdate,
    service=PeopleService(
        list=student_service.list_students_with_progress,
        get=student_service.get_student,
        create=student_service.create_student,
        update=student_service.update_student,
        issue_one_time_password=student_service.issue_one_time_password,
    ),
)
# The person pages first: `/students/new` must not be taken for a student's id.
router = people_router(STUDENT_PAGES, TeacherActor, prefix="/students", id_name="student_id")

ASSIGNMENT_PAGE_SIZE = 50
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 240, 48, 4


def sparkline(points: list[ScorePoint]) -> str:
    """The SVG polyline points of the graded scores (0 % at the bottom, 100 % at the top)."""
    graded = [
        min(max(float(point.percent), 0.0), 100.0) for point in points if point.percent is not None
    ]
    if len(graded) < 2:
        return ""
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / (len(graded) - 1)
    height = SPARK_HEIGHT - 2 * SPARK_PAD
    return " ".join(
        f"{SPARK_PAD + index * step:.1f},{SPARK_PAD + height * (1 - percent / 100):.1f}"
        for index, percent in enumerate(graded)
    )


@router.get("/{student_id}", response_class=HTMLResponse)
async def student_page(
    request: Request,
    student_id: IdPath,
    actor: TeacherActor,
    session: SessionDep,
    offset: Offset = 0,
) -> Response:
    """One student: profile, progress, assignments and scores over time (404 for anyone who is
    not the teacher's student)."""
    student = await student_service.get_student(session, actor, student_id)
    page = Pagination(limit=ASSIGNMENT_PAGE_SIZE, offset=offset)
    progress = (await progress_service.progress_of(session, actor, [student_id]))[student_id]
    assignments, total = await assignment_service.list_assignments(
        session, actor, limit=page.limit, offset=page.offset, student_id=student_id
    )
    scores = await overview_service.score_history(session, actor, student_id)
    graded = [point for point in scores if point.percent is not None]
    return render(
        request,
        "accounts/student_page.html",
        {
            "student": student,
            "progress": progress,
            "assignments": assignments,
            "total": total,
            "page": page,
            "scores": scores,
            "graded": graded,
            "spark": sparkline(scores),
            "spark_size": (SPARK_WIDTH, SPARK_HEIGHT),
            "zone": await account_service.viewer_zone(session, actor),
        },
    )
