"""Teacher pages for student groups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import IdPath, SessionDep, TeacherActor
from app.api.forms import form_ids, redirect_on_error
from app.api.templating import redirect_with_flash, render, tr
from app.core.errors import InvalidInput
from app.core.i18n import N_
from app.schemas.accounts import StudentRead
from app.schemas.lms import GroupCreate, GroupUpdate
from app.services.accounts import students as student_service
from app.services.lms import groups as group_service

router = APIRouter(prefix="/groups")
ALL_STUDENTS = 500
GROUP_NAME = N_("Give the group a name")
CHOOSE_STUDENTS = N_("Choose students")


async def _students_by_id(session: SessionDep, actor: TeacherActor) -> dict[int, StudentRead]:
    students, _ = await student_service.list_students(session, actor, limit=ALL_STUDENTS, offset=0)
    return {student.id: student for student in students}


@router.get("", response_class=HTMLResponse)
async def group_list_page(request: Request, actor: TeacherActor, session: SessionDep) -> Response:
    """The teacher's groups and a form for a new one."""
    groups = await group_service.list_groups(session, actor)
    students = await _students_by_id(session, actor)
    return render(request, "lms/group_list.html", {"groups": groups, "students": students})


@router.post("", response_class=HTMLResponse)
async def create_group_submit(
    request: Request, actor: TeacherActor, session: SessionDep
) -> Response:
    """Create a group with the ticked students."""
    form = await request.form()
    redirect_on_error(request, "/groups", invalid=GROUP_NAME)
    data = GroupCreate(
        name=str(form.get("name") or ""),
        student_ids=form_ids(form, "student_ids", message=CHOOSE_STUDENTS),
    )
    group = await group_service.create_group(session, actor, data)
    return redirect_with_flash(request, f"/groups/{group.id}", tr(request, "Group created"))


@router.get("/{group_id}", response_class=HTMLResponse)
async def group_page(
    request: Request, group_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """One group: rename it, add or remove students, delete it."""
    group = await group_service.get_group(session, actor, group_id)
    students = await _students_by_id(session, actor)
    return render(request, "lms/group_detail.html", {"group": group, "students": students})


@router.post("/{group_id}/rename")
async def rename_group_submit(
    request: Request,
    group_id: IdPath,
    actor: TeacherActor,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Rename the group."""
    redirect_on_error(request, f"/groups/{group_id}", invalid=GROUP_NAME)
    await group_service.rename_group(session, actor, group_id, GroupUpdate(name=name))
    return redirect_with_flash(request, f"/groups/{group_id}", tr(request, "Changes saved"))


@router.post("/{group_id}/members")
async def add_members_submit(
    request: Request, group_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Add the ticked students (they get the group's open assignments)."""
    form = await request.form()
    redirect_on_error(request, f"/groups/{group_id}")
    student_ids = form_ids(form, "student_ids", message=CHOOSE_STUDENTS)
    if not student_ids:
        raise InvalidInput(CHOOSE_STUDENTS, field="student_ids")
    await group_service.add_members(session, actor, group_id, student_ids)
    return redirect_with_flash(request, f"/groups/{group_id}", tr(request, "Students added"))


@router.post("/{group_id}/members/{student_id}/remove")
async def remove_member_submit(
    request: Request, group_id: IdPath, student_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Take a student out of the group (their work stays)."""
    await group_service.remove_member(session, actor, group_id, student_id)
    return redirect_with_flash(request, f"/groups/{group_id}", tr(request, "Student removed"))


@router.post("/{group_id}/delete")
async def delete_group_submit(
    request: Request, group_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Delete the group; students keep their assignments."""
    await group_service.delete_group(session, actor, group_id)
    return redirect_with_flash(request, "/groups", tr(request, "Group deleted"))
