"""Teacher pages for the lesson library, the lesson builder and the assign dialog."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.api.deps import IdPath, IdQuery, SessionDep, TeacherActor
from app.api.pages.block_forms import block_to_form, default_form, form_to_block
from app.api.pages.forms import read_form
from app.api.pages.player import gap_pieces, viewer_zone
from app.api.templating import form_errors, redirect_with_flash, render, tr
from app.core.errors import Conflict, InvalidInput
from app.core.i18n import N_
from app.schemas.blocks import BLOCK_TYPES, new_block_id
from app.schemas.common import Pagination
from app.schemas.lms import AssignRequest, FolderCreate, LessonCreate, LessonUpdate
from app.services import accounts
from app.services import students as student_service
from app.services.lms import assigning as assigning_service
from app.services.lms import assignments as assignment_service
from app.services.lms import builder
from app.services.lms import folders as folder_service
from app.services.lms import groups as group_service
from app.services.lms import lessons as lesson_service
from app.services.lms.student_view import student_blocks

router = APIRouter()
PAGE_SIZE = 50
ALL_STUDENTS = 500
BLOCK_FORM = "lms/builder.html"
FORM_FIELDS = (
    "title",
    "subject",
    "tags",
    "status",
    "folder_id",
    "attempt_limit",
    "time_limit_minutes",
)


def _lesson_form_data(values: dict[str, str]) -> dict[str, Any]:
    """The lesson settings form as schema input: blank means "not set", tags comma-separated."""
    data: dict[str, Any] = {key: values[key] for key in FORM_FIELDS if values.get(key, "") != ""}
    data["tags"] = [tag.strip() for tag in values.get("tags", "").split(",") if tag.strip()]
    data["shuffle_options"] = values.get("shuffle_options") == "on"
    return data


# --- library


@router.get("/lessons", response_class=HTMLResponse)
async def lesson_library_page(
    request: Request,
    actor: TeacherActor,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    folder_id: IdQuery = None,
    status: Annotated[str | None, Query(pattern="^(draft|published|archived)$")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The lesson library with search, folders and status filter."""
    page = Pagination(limit=PAGE_SIZE, offset=offset)
    lessons, total = await lesson_service.list_lessons(
        session,
        actor,
        limit=page.limit,
        offset=page.offset,
        search=q,
        folder_id=folder_id,
        status=status,
    )
    folders = await folder_service.list_folders(session, actor)
    return render(
        request,
        "lms/library.html",
        {
            "lessons": lessons,
            "total": total,
            "folders": folders,
            "q": q or "",
            "folder_id": folder_id,
            "status": status or "",
            "page": page,
        },
    )


@router.post("/folders", response_class=HTMLResponse)
async def create_folder_submit(
    request: Request,
    actor: TeacherActor,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    parent_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Create a folder in the library."""
    try:
        data = FolderCreate(name=name, parent_id=int(parent_id) if parent_id else None)
        await folder_service.create_folder(session, actor, data)
    except (ValidationError, ValueError):
        return redirect_with_flash(request, "/lessons", tr(request, "Give the folder a name"))
    except InvalidInput as error:
        return redirect_with_flash(request, "/lessons", error.text(request.state.language))
    return redirect_with_flash(request, "/lessons", tr(request, "Folder created"))


@router.post("/folders/{folder_id}/delete")
async def delete_folder_submit(
    request: Request, folder_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Delete an empty folder."""
    try:
        await folder_service.delete_folder(session, actor, folder_id)
    except Conflict as error:
        return redirect_with_flash(request, "/lessons", error.text(request.state.language))
    return redirect_with_flash(request, "/lessons", tr(request, "Folder deleted"))


# --- creating and editing


@router.get("/lessons/new", response_class=HTMLResponse)
async def new_lesson_page(request: Request, actor: TeacherActor, session: SessionDep) -> Response:
    """The form for a new lesson's title and settings."""
    folders = await folder_service.list_folders(session, actor)
    return render(
        request,
        "lms/lesson_form.html",
        {"values": {"status": "draft"}, "errors": {}, "folders": folders, "lesson": None},
    )


@router.post("/lessons/new", response_class=HTMLResponse)
async def new_lesson_submit(request: Request, actor: TeacherActor, session: SessionDep) -> Response:
    """Create the lesson and open it in the builder."""
    values = await read_form(request)
    try:
        data = LessonCreate.model_validate(_lesson_form_data(values))
        lesson = await lesson_service.create_lesson(session, actor, data)
    except ValidationError as error:
        errors = form_errors(error, request.state.language)
    except InvalidInput as error:
        errors = {error.field or "__all__": error.text(request.state.language)}
    else:
        return redirect_with_flash(
            request, f"/lessons/{lesson.id}/edit", tr(request, "Lesson created: now add blocks")
        )
    folders = await folder_service.list_folders(session, actor)
    return render(
        request,
        "lms/lesson_form.html",
        {"values": values, "errors": errors, "folders": folders, "lesson": None},
        status_code=422,
    )


async def _builder(
    request: Request,
    actor: TeacherActor,
    session: SessionDep,
    lesson_id: IdPath,
    *,
    adding: str | None = None,
    editing: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    lesson = await lesson_service.get_lesson(session, actor, lesson_id)
    folders = await folder_service.list_folders(session, actor)
    forms = {block.id: block_to_form(block) for block in lesson.content}
    return render(
        request,
        BLOCK_FORM,
        {
            "lesson": lesson,
            "folders": folders,
            "forms": forms,
            "block_types": BLOCK_TYPES,
            "adding": adding if adding in BLOCK_TYPES else None,
            "new_form": default_form(adding) if adding else {},
            # {"block_id": ..., "form": {...}, "errors": [...]} of a block that failed to save.
            "editing": editing,
            "values": {**lesson.model_dump(mode="json"), "tags": ", ".join(lesson.tags)},
            "errors": {},
        },
        status_code=status_code,
    )


@router.get("/lessons/{lesson_id}/edit", response_class=HTMLResponse)
async def lesson_builder_page(
    request: Request,
    lesson_id: IdPath,
    actor: TeacherActor,
    session: SessionDep,
    add: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    """The lesson builder: settings, every block's editor, adding and reordering blocks."""
    return await _builder(request, actor, session, lesson_id, adding=add)


@router.post("/lessons/{lesson_id}/settings", response_class=HTMLResponse)
async def lesson_settings_submit(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Save the lesson's title, tags, status and settings."""
    values = await read_form(request)
    data = _lesson_form_data(values)
    for optional in ("subject", "folder_id", "attempt_limit", "time_limit_minutes"):
        data.setdefault(optional, None)
    try:
        await lesson_service.update_lesson(
            session, actor, lesson_id, LessonUpdate.model_validate(data)
        )
    except ValidationError as error:
        messages = form_errors(error, request.state.language)
        text = "; ".join(f"{tr(request, field)}: {msg}" for field, msg in messages.items())
        return redirect_with_flash(request, f"/lessons/{lesson_id}/edit", text)
    except InvalidInput as error:
        return redirect_with_flash(
            request, f"/lessons/{lesson_id}/edit", error.text(request.state.language)
        )
    return redirect_with_flash(request, f"/lessons/{lesson_id}/edit", tr(request, "Changes saved"))


def _block_errors(request: Request, error: ValidationError, index: int) -> list[str]:
    """Messages of one block's errors, with the field path inside the block."""
    messages = []
    for item in error.errors():
        location = list(item["loc"])
        if location and location[0] == index:
            location = location[2:]  # drop the index and the block type tag
        where = ".".join(str(part) for part in location)
        message = tr(request, str(item["msg"]))
        messages.append(f"{where}: {message}" if where else message)
    return messages


async def _save_block(
    request: Request,
    actor: TeacherActor,
    session: SessionDep,
    lesson_id: IdPath,
    block_id: str | None,
) -> Response:
    values = await read_form(request)
    block_type = values.get("type", "")
    if block_type not in BLOCK_TYPES:
        raise InvalidInput(N_("Unknown block type"), field="type")
    lesson = await lesson_service.get_lesson(session, actor, lesson_id)
    new_id = block_id or new_block_id()
    block = form_to_block(block_type, new_id, values)
    index = next((i for i, b in enumerate(lesson.content) if b.id == block_id), len(lesson.content))
    try:
        if block_id is None:
            await builder.add_block(session, actor, lesson_id, block)
        else:
            await builder.replace_block(session, actor, lesson_id, block_id, block)
    except ValidationError as error:
        editing = {
            "block_id": block_id,
            "type": block_type,
            "form": values,
            "errors": _block_errors(request, error, index),
        }
        return await _builder(
            request,
            actor,
            session,
            lesson_id,
            adding=block_type if block_id is None else None,
            editing=editing,
            status_code=422,
        )
    return redirect_with_flash(
        request, f"/lessons/{lesson_id}/edit#block-{new_id}", tr(request, "Block saved")
    )


@router.post("/lessons/{lesson_id}/blocks", response_class=HTMLResponse)
async def add_block_submit(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Add a block at the end of the lesson."""
    return await _save_block(request, actor, session, lesson_id, None)


@router.post("/lessons/{lesson_id}/blocks/{block_id}", response_class=HTMLResponse)
async def save_block_submit(
    request: Request, lesson_id: IdPath, block_id: str, actor: TeacherActor, session: SessionDep
) -> Response:
    """Save one edited block."""
    return await _save_block(request, actor, session, lesson_id, block_id)


@router.post("/lessons/{lesson_id}/blocks/{block_id}/move")
async def move_block_submit(
    request: Request,
    lesson_id: IdPath,
    block_id: str,
    actor: TeacherActor,
    session: SessionDep,
    direction: Annotated[Literal["up", "down"], Form()],
) -> Response:
    """Move a block up or down."""
    await builder.move_block(session, actor, lesson_id, block_id, direction)
    return redirect_with_flash(
        request, f"/lessons/{lesson_id}/edit#block-{block_id}", tr(request, "Block moved")
    )


@router.post("/lessons/{lesson_id}/blocks/{block_id}/delete")
async def delete_block_submit(
    request: Request, lesson_id: IdPath, block_id: str, actor: TeacherActor, session: SessionDep
) -> Response:
    """Delete a block."""
    await builder.remove_block(session, actor, lesson_id, block_id)
    return redirect_with_flash(request, f"/lessons/{lesson_id}/edit", tr(request, "Block deleted"))


@router.post("/lessons/{lesson_id}/duplicate")
async def duplicate_lesson_submit(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Copy the lesson as a new draft and open the copy."""
    source = await lesson_service.get_lesson(session, actor, lesson_id)
    title = tr(request, "{title} (copy)").format(title=source.title)
    copy = await lesson_service.duplicate_lesson(session, actor, lesson_id, title=title[:200])
    return redirect_with_flash(request, f"/lessons/{copy.id}/edit", tr(request, "Lesson copied"))


@router.post("/lessons/{lesson_id}/delete")
async def delete_lesson_submit(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Delete the lesson (archived instead if it was assigned)."""
    await lesson_service.delete_lesson(session, actor, lesson_id)
    return redirect_with_flash(request, "/lessons", tr(request, "Lesson deleted or archived"))


@router.get("/lessons/{lesson_id}/preview", response_class=HTMLResponse)
async def lesson_preview_page(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """The lesson exactly as a student receives it (no answer keys), without saving anything."""
    lesson = await lesson_service.get_owned_lesson(session, actor, lesson_id)
    blocks = student_blocks(
        lesson_service.blocks_of(lesson), seed=lesson_id, shuffle_options=lesson.shuffle_options
    )
    zone = await viewer_zone(session, actor)
    return render(
        request,
        "lms/preview.html",
        {"lesson": lesson, "blocks": blocks, "zone": zone, "gap_pieces": gap_pieces},
    )


# --- assigning


async def _assign_context(
    session: SessionDep, actor: TeacherActor, lesson_id: IdPath
) -> dict[str, Any]:
    lesson = await lesson_service.get_lesson(session, actor, lesson_id)
    students, _ = await student_service.list_students(
        session, actor, limit=ALL_STUDENTS, offset=0, include_inactive=False
    )
    groups = await group_service.list_groups(session, actor)
    assigned, _ = await assignment_service.list_assignments(
        session, actor, limit=ALL_STUDENTS, offset=0, lesson_id=lesson_id
    )
    zone = await viewer_zone(session, actor)
    return {
        "lesson": lesson,
        "students": students,
        "groups": groups,
        "assigned": assigned,
        "zone": zone,
    }


@router.get("/lessons/{lesson_id}/assign", response_class=HTMLResponse)
async def assign_page(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Pick students and groups and a due date; below, who has the lesson and their progress."""
    context = await _assign_context(session, actor, lesson_id)
    return render(request, "lms/assign.html", {**context, "errors": {}, "values": {}})


def _due_at(value: str, timezone: str) -> datetime | None:
    """A `datetime-local` value is the teacher's wall time, in the teacher's time zone."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(timezone))
    except ValueError as error:
        raise InvalidInput(N_("Enter a date and time"), field="due_at") from error


@router.post("/lessons/{lesson_id}/assign", response_class=HTMLResponse)
async def assign_submit(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Assign the lesson to the chosen students and groups."""
    form = await request.form()
    me = await accounts.get_me(session, actor)
    try:
        data = AssignRequest(
            lesson_id=lesson_id,
            student_ids=[int(str(v)) for v in form.getlist("student_ids")],
            group_ids=[int(str(v)) for v in form.getlist("group_ids")],
            due_at=_due_at(str(form.get("due_at") or ""), me.timezone),
        )
        result = await assigning_service.assign(session, actor, data)
    except (ValueError, ValidationError):
        errors = {"__all__": tr(request, "Choose students or groups from the list")}
    except InvalidInput as error:
        errors = {error.field or "__all__": error.text(request.state.language)}
    else:
        message = tr(request, "Assigned: {created} new, {already} already had it").format(
            created=result.created, already=result.already_assigned
        )
        return redirect_with_flash(request, f"/lessons/{lesson_id}/assign", message)
    context = await _assign_context(session, actor, lesson_id)
    return render(
        request,
        "lms/assign.html",
        {**context, "errors": errors, "values": {"due_at": form.get("due_at") or ""}},
        status_code=422,
    )
