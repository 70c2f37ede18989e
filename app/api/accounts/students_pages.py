"""Teacher pages: the student list, create a student, edit a student."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import ClientDep, IdPath, SessionDep, SettingsDep, TeacherActor
from app.api.people_pages import PeoplePages, PeopleService, people_router
from app.api.templating import render
from app.core.i18n import N_
from app.schemas.accounts import StudentCreate, StudentUpdate
from app.services.accounts import students as student_service

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
    ),
)
# The page that shows a freshly issued one-time password, the only time it is shown.
ONE_TIME_PASSWORD_PAGE = "account/one_time_password.html"  # noqa: S105 - a template

router = people_router(STUDENT_PAGES, TeacherActor, prefix="/students", id_name="student_id")


@router.post("/{student_id}/one-time-password", response_class=HTMLResponse)
async def issue_one_time_password_submit(
    request: Request,
    student_id: IdPath,
    actor: TeacherActor,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    """Issue a one-time password and show it, this once (the answer is never cached)."""
    student = await student_service.get_student(session, actor, student_id)
    issued = await student_service.issue_one_time_password(
        session, actor, settings, student_id, client=client
    )
    return render(
        request,
        ONE_TIME_PASSWORD_PAGE,
        {
            "person": student,
            "password": issued.password,
            "back_url": STUDENT_PAGES.edit_url(student_id),
        },
    )
