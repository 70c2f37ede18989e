"""Teacher pages for the lesson library: folders, a new lesson, its settings, copy, delete and
the student's-eye preview."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import IdPath, SessionDep, TeacherActor
from app.api.forms import ContextLoader, read_form, redirect_on_error, rerender_on_error
from app.api.lms.lessons import LessonFiltersQuery
from app.api.templating import form_errors, redirect_with_flash, render, tr
from app.core.actor import Actor
from app.core.errors import AppError, StaleVersion
from app.core.i18n import N_, gettext_for
from app.schemas.common import Moment, Pagination
from app.schemas.lms import FolderCreate, LessonCreate, LessonFilters
from app.services.accounts import users as account_service
from app.services.lms import folders as folder_service
from app.services.lms import lessons as lesson_service

router = APIRouter()
PAGE_SIZE = 50
LESSON_FORM = "lms/lesson_form.html"
LIBRARY = "lms/library.html"
FOLDER_NAME_NEEDED = N_("Give the folder a name")
FORM_FIELDS = (
    "title",
    "subject",
    "tags",
    "status",
    "folder_id",
    "attempt_limit",
    "time_limit_minutes",
    "counted_attempt",
    "base_updated_at",
)


def _folder_errors(error: Exception, language: str) -> dict[str, str]:
    """The new-folder form's messages: at the name, or at "inside" for a bad parent."""
    if isinstance(error, ValidationError):
        fields = form_errors(error, language)
        if "name" in fields:
            fields["name"] = gettext_for(language, FOLDER_NAME_NEEDED)
        return fields
    assert isinstance(error, AppError)
    return {error.field or "name": error.text(language)}


_MOMENT: TypeAdapter[datetime] = TypeAdapter(Moment)


def based_on(value: str | None) -> datetime | None:
    """A form's `base_updated_at` (the builder's, an import's). One that is no time the page
    could have shown counts as stale: nothing is written and the page shows the lesson as it
    is."""
    if not value:
        return None
    try:
        return _MOMENT.validate_python(value)
    except ValidationError as error:
        raise StaleVersion(lesson_service.STALE_LESSON) from error


def builder_url(lesson_id: int, anchor: str = "") -> str:
    return f"/lessons/{lesson_id}/edit{anchor}"


def lesson_form_data(values: dict[str, str]) -> dict[str, Any]:
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
    filters: LessonFiltersQuery,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The lesson library with search, the folder tree and status filter; a folder shows the
    lessons of its subfolders too."""
    context = await _library_context(session, actor, filters, offset)
    return render(request, LIBRARY, {**context, "values": {}, "errors": {}})


async def _library_context(
    session: AsyncSession, actor: Actor, filters: LessonFilters, offset: int
) -> dict[str, Any]:
    page = Pagination(limit=PAGE_SIZE, offset=offset)
    lessons, total = await lesson_service.list_lessons(
        session, actor, limit=page.limit, offset=page.offset, filters=filters
    )
    tree = await folder_service.folder_tree(session, actor)
    return {
        "lessons": lessons,
        "total": total,
        "tree": tree,
        "folder_choices": folder_service.walk(tree),
        "q": filters.q or "",
        "folder_id": filters.folder_id,
        "status": filters.status or "",
        "page": page,
    }


def _library_loader(actor: Actor, parent_id: str) -> ContextLoader:
    """The library again after a refused folder, open at the folder it was to go in."""

    async def load(session: AsyncSession, error: Exception) -> dict[str, Any]:
        try:
            filters = LessonFilters.model_validate({"folder_id": parent_id or None})
        except ValidationError:
            filters = LessonFilters()
        return await _library_context(session, actor, filters, 0)

    return load


@router.post("/folders", response_class=HTMLResponse)
async def create_folder_submit(
    request: Request,
    actor: TeacherActor,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    parent_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Create a folder in the library; a refused name is shown at the field."""
    rerender_on_error(
        request,
        LIBRARY,
        values={"name": name, "parent_id": parent_id},
        context=_library_loader(actor, parent_id),
        errors=_folder_errors,
    )
    data = FolderCreate.model_validate({"name": name, "parent_id": parent_id or None})
    await folder_service.create_folder(session, actor, data)
    return redirect_with_flash(request, "/lessons", tr(request, "Folder created"))


@router.post("/folders/{folder_id}/delete")
async def delete_folder_submit(
    request: Request, folder_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Delete an empty folder."""
    redirect_on_error(request, "/lessons")
    await folder_service.delete_folder(session, actor, folder_id)
    return redirect_with_flash(request, "/lessons", tr(request, "Folder deleted"))


# --- creating and editing


def _new_lesson_context(actor: Actor) -> ContextLoader:
    async def load(session: AsyncSession, error: Exception) -> dict[str, Any]:
        return {"folders": await folder_service.list_folders(session, actor), "lesson": None}

    return load


@router.get("/lessons/new", response_class=HTMLResponse)
async def new_lesson_page(request: Request, actor: TeacherActor, session: SessionDep) -> Response:
    """The form for a new lesson's title and settings."""
    folders = await folder_service.list_folders(session, actor)
    return render(
        request,
        LESSON_FORM,
        {"folders": folders, "lesson": None, "values": {"status": "draft"}, "errors": {}},
    )


@router.post("/lessons/new", response_class=HTMLResponse)
async def new_lesson_submit(request: Request, actor: TeacherActor, session: SessionDep) -> Response:
    """Create the lesson and open it in the builder."""
    values = await read_form(request)
    rerender_on_error(request, LESSON_FORM, values=values, context=_new_lesson_context(actor))
    lesson = await lesson_service.create_lesson(
        session, actor, LessonCreate.model_validate(lesson_form_data(values))
    )
    return redirect_with_flash(
        request, builder_url(lesson.id), tr(request, "Lesson created: now add blocks")
    )


# The settings form is the builder's (`builder_pages.lesson_settings_submit`).


@router.post("/lessons/{lesson_id}/duplicate")
async def duplicate_lesson_submit(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Copy the lesson as a new draft and open the copy."""
    source = await lesson_service.get_lesson(session, actor, lesson_id)
    title = tr(request, "{title} (copy)").format(title=source.title)
    copy = await lesson_service.duplicate_lesson(session, actor, lesson_id, title=title[:200])
    return redirect_with_flash(request, builder_url(copy.id), tr(request, "Lesson copied"))


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
    preview = await lesson_service.preview(session, actor, lesson_id)
    zone = await account_service.viewer_zone(session, actor)
    return render(
        request,
        "lms/preview.html",
        {
            "lesson": preview.lesson,
            "blocks": preview.blocks,
            "zone": zone,
        },
    )
