"""Superuser pages: the teacher list, create a teacher, edit a teacher."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import ClientDep, IdPath, SessionDep, SettingsDep, SuperuserActor
from app.api.people_pages import PeoplePages, PeopleService, people_router
from app.api.templating import render
from app.core.i18n import N_
from app.schemas.accounts import TeacherCreate, TeacherUpdate
from app.services.admin import teachers as teacher_service

TEACHER_PAGES = PeoplePages(
    list_url="/superuser/teachers",
    new_url="/superuser/create-teacher",
    title=N_("Teachers"),
    new_title=N_("New teacher"),
    edit_title=N_("Edit teacher"),
    create_label=N_("Create teacher"),
    created=N_("Teacher {name} created"),
    table="admin/_teacher_table.html",
    create_schema=TeacherCreate,
    update_schema=TeacherUpdate,
    service=PeopleService(
        list=teacher_service.list_teachers,
        get=teacher_service.get_teacher,
        create=teacher_service.create_teacher,
        update=teacher_service.update_teacher,
    ),
)
# The page that shows a freshly issued one-time password, the only time it is shown.
ONE_TIME_PASSWORD_PAGE = "account/one_time_password.html"  # noqa: S105 - a template

router = people_router(TEACHER_PAGES, SuperuserActor, prefix="/superuser", id_name="teacher_id")


@router.post("/teachers/{teacher_id}/one-time-password", response_class=HTMLResponse)
async def issue_one_time_password_submit(
    request: Request,
    teacher_id: IdPath,
    actor: SuperuserActor,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    """Issue a one-time password and show it, this once (the answer is never cached)."""
    teacher = await teacher_service.get_teacher(session, actor, teacher_id)
    issued = await teacher_service.issue_one_time_password(
        session, actor, settings, teacher_id, client=client
    )
    return render(
        request,
        ONE_TIME_PASSWORD_PAGE,
        {
            "person": teacher,
            "password": issued.password,
            "back_url": TEACHER_PAGES.edit_url(teacher_id),
        },
    )
