"""Superuser pages: the teacher list, create a teacher, edit a teacher."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import IdPath, SessionDep, SettingsDep, SuperuserActor
from app.api.pages.forms import submit_person_form
from app.api.templating import render
from app.core.i18n import gettext_for
from app.schemas.common import Pagination
from app.schemas.users import TeacherCreate, TeacherUpdate
from app.services import accounts
from app.services.admin import teachers as teacher_service

router = APIRouter(prefix="/superuser")
PAGE_SIZE = 50
FORM = "admin/teacher_form.html"
LIST_URL = "/superuser/teachers"


@router.get("/teachers", response_class=HTMLResponse)
async def teacher_list_page(
    request: Request,
    actor: SuperuserActor,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """All teachers, searchable."""
    page = Pagination(limit=PAGE_SIZE, offset=offset)
    teachers, total = await teacher_service.list_teachers(
        session, actor, limit=page.limit, offset=page.offset, search=q
    )
    return render(
        request,
        "admin/teacher_list.html",
        {"teachers": teachers, "total": total, "q": q or "", "page": page},
    )


@router.get("/create-teacher", response_class=HTMLResponse)
async def create_teacher_page(request: Request, actor: SuperuserActor) -> Response:
    """The form for a new teacher."""
    return render(request, FORM, {"values": {}, "errors": {}, "teacher": None})


@router.post("/create-teacher", response_class=HTMLResponse)
async def create_teacher_submit(
    request: Request, actor: SuperuserActor, session: SessionDep, settings: SettingsDep
) -> Response:
    """Create the teacher, or show the form again with a message at each wrong field."""

    async def save(data: TeacherCreate) -> str:
        await accounts.ensure_email_free(session, data.email)
        teacher = await teacher_service.create_teacher(session, actor, settings, data)
        return gettext_for(request.state.language, "Teacher {name} created").format(
            name=f"{teacher.name} {teacher.surname}"
        )

    return await submit_person_form(
        request,
        TeacherCreate,
        save=save,
        template=FORM,
        context={"teacher": None},
        success_url=LIST_URL,
    )


@router.get("/teachers/{teacher_id}/edit", response_class=HTMLResponse)
async def edit_teacher_page(
    request: Request, teacher_id: IdPath, actor: SuperuserActor, session: SessionDep
) -> Response:
    """The edit form for one teacher."""
    teacher = await teacher_service.get_teacher(session, actor, teacher_id)
    return render(
        request, FORM, {"values": teacher.model_dump(mode="json"), "errors": {}, "teacher": teacher}
    )


@router.post("/teachers/{teacher_id}/edit", response_class=HTMLResponse)
async def edit_teacher_submit(
    request: Request,
    teacher_id: IdPath,
    actor: SuperuserActor,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Save the changes (a blank password keeps the old one)."""
    teacher = await teacher_service.get_teacher(session, actor, teacher_id)

    async def save(data: TeacherUpdate) -> str:
        await teacher_service.update_teacher(session, actor, settings, teacher_id, data)
        return gettext_for(request.state.language, "Changes saved")

    return await submit_person_form(
        request,
        TeacherUpdate,
        save=save,
        template=FORM,
        context={"teacher": teacher},
        success_url=LIST_URL,
        is_update=True,
    )
