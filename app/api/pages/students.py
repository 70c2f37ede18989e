"""Student pages: the student list, create a student, edit a student."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import IdPath, SessionDep, SettingsDep, TeacherActor
from app.api.pages.forms import submit_person_form
from app.api.templating import render
from app.core.i18n import gettext_for
from app.schemas.common import Pagination
from app.schemas.users import StudentCreate, StudentUpdate
from app.services import accounts
from app.services import students as student_service

router = APIRouter(prefix="/students")
PAGE_SIZE = 50
FORM = "students/student_form.html"
LIST_URL = "/students"


@router.get("", response_class=HTMLResponse)
async def student_list_page(
    request: Request,
    actor: TeacherActor,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The teacher's students, searchable."""
    page = Pagination(limit=PAGE_SIZE, offset=offset)
    students, total = await student_service.list_students_with_progress(
        session, actor, limit=page.limit, offset=page.offset, search=q
    )
    return render(
        request,
        "students/student_list.html",
        {"students": students, "total": total, "q": q or "", "page": page},
    )


@router.get("/new", response_class=HTMLResponse)
async def create_student_page(request: Request, actor: TeacherActor) -> Response:
    """The form for a new student."""
    return render(request, FORM, {"values": {}, "errors": {}, "student": None})


@router.post("/new", response_class=HTMLResponse)
async def create_student_submit(
    request: Request, actor: TeacherActor, session: SessionDep, settings: SettingsDep
) -> Response:
    """Create the student, or show the form again with a message at each wrong field."""

    async def save(data: StudentCreate) -> str:
        await accounts.ensure_email_free(session, data.email)
        student = await student_service.create_student(session, actor, settings, data)
        return gettext_for(request.state.language, "Student {name} created").format(
            name=f"{student.name} {student.surname}"
        )

    return await submit_person_form(
        request,
        StudentCreate,
        save=save,
        template=FORM,
        context={"student": None},
        success_url=LIST_URL,
    )


@router.get("/{student_id}/edit", response_class=HTMLResponse)
async def edit_student_page(
    request: Request, student_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """The edit form for one student."""
    student = await student_service.get_student(session, actor, student_id)
    return render(
        request, FORM, {"values": student.model_dump(mode="json"), "errors": {}, "student": student}
    )


@router.post("/{student_id}/edit", response_class=HTMLResponse)
async def edit_student_submit(
    request: Request,
    student_id: IdPath,
    actor: TeacherActor,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Save the changes (a blank password keeps the old one)."""
    student = await student_service.get_student(session, actor, student_id)

    async def save(data: StudentUpdate) -> str:
        await student_service.update_student(session, actor, settings, student_id, data)
        return gettext_for(request.state.language, "Changes saved")

    return await submit_person_form(
        request,
        StudentUpdate,
        save=save,
        template=FORM,
        context={"student": student},
        success_url=LIST_URL,
        is_update=True,
    )
