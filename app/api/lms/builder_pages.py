"""The lesson builder: the lesson's settings and every block's editor, block by block.

Every form carries the lesson's `updated_at` it was based on (`base_updated_at`, the one token
for blocks and settings alike): an edit made in a tab that has not seen a newer save is refused
(409) and the builder shows the lesson as it is now, with the teacher's unsaved block still in
its form. Each block shows as a student sees it (`views`), its editor beside it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import IdPath, SessionDep, TeacherActor
from app.api.forms import ContextLoader, read_form, redirect_on_error, rerender_on_error
from app.api.lms.block_forms import block_errors, block_to_form, default_form, form_to_block
from app.api.lms.lessons_pages import based_on, builder_url, lesson_form_data
from app.api.templating import language_of, redirect_with_flash, render, tr
from app.core.actor import Actor
from app.core.errors import AppError, InvalidInput
from app.core.i18n import N_
from app.schemas.lms import LessonRead, LessonUpdate
from app.schemas.lms.blocks import BLOCK_TYPES, new_block_id
from app.services.lms import builder
from app.services.lms import folders as folder_service
from app.services.lms import lessons as lesson_service
from app.services.lms.student_view import student_blocks

router = APIRouter(prefix="/lessons/{lesson_id}")
BUILDER = "lms/builder.html"
BaseUpdatedAt = Annotated[str | None, Form(max_length=64)]


def _student_views(lesson: LessonRead) -> dict[str, dict[str, Any]]:
    """Each block as a student gets it (no answer keys), by block id. Ids inside the view are
    prefixed so its inputs and anchors never clash with the builder's own."""
    assert lesson.id is not None
    shown = student_blocks(lesson.content, seed=lesson.id, shuffle_options=lesson.shuffle_options)
    return {block["id"]: {**block, "id": f"view-{block['id']}"} for block in shown}


async def _builder_context(
    session: AsyncSession,
    actor: Actor,
    lesson_id: int,
    language: str,
    *,
    adding: str | None = None,
    editing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    lesson = await lesson_service.get_lesson(session, actor, lesson_id)
    folders = await folder_service.list_folders(session, actor)
    return {
        "lesson": lesson,
        "folders": folders,
        "forms": {block.id: block_to_form(block, language) for block in lesson.content},
        "views": _student_views(lesson),
        "block_types": BLOCK_TYPES,
        "adding": adding if adding in BLOCK_TYPES else None,
        "new_form": default_form(adding) if adding else {},
        # {"block_id": ..., "form": {...}, "errors": [...]} of a block that failed to save.
        "editing": editing,
        "values": {**lesson.model_dump(mode="json"), "tags": ", ".join(lesson.tags)},
        "errors": {},
    }


@router.get("/edit", response_class=HTMLResponse)
async def lesson_builder_page(
    request: Request,
    lesson_id: IdPath,
    actor: TeacherActor,
    session: SessionDep,
    add: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    """The lesson builder: settings, every block's editor, adding and reordering blocks."""
    context = await _builder_context(session, actor, lesson_id, language_of(request), adding=add)
    return render(request, BUILDER, context)


def _block_messages(error: Exception, index: int, language: str) -> list[str]:
    """One block's errors in the builder's words (see `block_forms.block_errors`)."""
    if isinstance(error, AppError):
        return [error.text(language)]
    assert isinstance(error, ValidationError)
    return block_errors(error, index, language)


def _failed_block_context(
    actor: Actor, lesson_id: int, block_id: str | None, values: dict[str, str], language: str
) -> ContextLoader:
    """The builder as it is now, with the block that failed to save still in its form."""

    async def load(session: AsyncSession, error: Exception) -> dict[str, Any]:
        lesson = await lesson_service.get_lesson(session, actor, lesson_id)
        position = (i for i, b in enumerate(lesson.content) if b.id == block_id)
        index = next(position, len(lesson.content))
        editing = {
            "block_id": block_id,
            "type": values["type"],
            "form": values,
            "errors": _block_messages(error, index, language),
        }
        adding = values["type"] if block_id is None else None
        return await _builder_context(
            session, actor, lesson_id, language, adding=adding, editing=editing
        )

    return load


async def _save_block(
    request: Request, actor: Actor, session: AsyncSession, lesson_id: int, block_id: str | None
) -> Response:
    values = await read_form(request)
    block_type = values.get("type", "")
    if block_type not in BLOCK_TYPES:
        raise InvalidInput(N_("Unknown block type"), field="type")
    rerender_on_error(
        request,
        BUILDER,
        values=values,
        context=_failed_block_context(actor, lesson_id, block_id, values, language_of(request)),
    )
    base = based_on(values.get("base_updated_at"))
    new_id = block_id or new_block_id()
    block = form_to_block(block_type, new_id, values)
    if block_id is None:
        await builder.add_block(session, actor, lesson_id, block, base_updated_at=base)
    else:
        await builder.replace_block(
            session, actor, lesson_id, block_id, block, base_updated_at=base
        )
    return redirect_with_flash(
        request, builder_url(lesson_id, f"#block-{new_id}"), tr(request, "Block saved")
    )


def _failed_settings_context(actor: Actor, lesson_id: int, language: str) -> ContextLoader:
    """The builder as it is now, with the settings as typed and a message at each field."""

    async def load(session: AsyncSession, error: Exception) -> dict[str, Any]:
        context = await _builder_context(session, actor, lesson_id, language)
        # The typed values and their messages come from the failed request (app.api.errors).
        del context["values"], context["errors"]
        return {**context, "settings_failed": True}

    return load


@router.post("/settings", response_class=HTMLResponse)
async def lesson_settings_submit(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Save the lesson's title, tags, status and settings."""
    values = await read_form(request)
    rerender_on_error(
        request,
        BUILDER,
        values=values,
        context=_failed_settings_context(actor, lesson_id, language_of(request)),
        conflict_redirect=builder_url(lesson_id),
    )
    data = lesson_form_data(values)
    # A blank clearable setting in this form means "clear it" (no subject, no limit).
    for optional in LessonUpdate.CLEARABLE:
        data.setdefault(optional, None)
    await lesson_service.update_lesson(session, actor, lesson_id, LessonUpdate.model_validate(data))
    return redirect_with_flash(request, builder_url(lesson_id), tr(request, "Changes saved"))


@router.post("/blocks", response_class=HTMLResponse)
async def add_block_submit(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Add a block at the end of the lesson."""
    return await _save_block(request, actor, session, lesson_id, None)


@router.post("/blocks/{block_id}", response_class=HTMLResponse)
async def save_block_submit(
    request: Request, lesson_id: IdPath, block_id: str, actor: TeacherActor, session: SessionDep
) -> Response:
    """Save one edited block."""
    return await _save_block(request, actor, session, lesson_id, block_id)


@router.post("/blocks/{block_id}/move")
async def move_block_submit(
    request: Request,
    lesson_id: IdPath,
    block_id: str,
    actor: TeacherActor,
    session: SessionDep,
    direction: Annotated[Literal["up", "down"], Form()],
    base_updated_at: BaseUpdatedAt = None,
) -> Response:
    """Move a block up or down."""
    redirect_on_error(request, builder_url(lesson_id))
    base = based_on(base_updated_at)
    await builder.move_block(session, actor, lesson_id, block_id, direction, base_updated_at=base)
    return redirect_with_flash(
        request, builder_url(lesson_id, f"#block-{block_id}"), tr(request, "Block moved")
    )


@router.post("/blocks/{block_id}/delete")
async def delete_block_submit(
    request: Request,
    lesson_id: IdPath,
    block_id: str,
    actor: TeacherActor,
    session: SessionDep,
    base_updated_at: BaseUpdatedAt = None,
) -> Response:
    """Delete a block."""
    redirect_on_error(request, builder_url(lesson_id))
    base = based_on(base_updated_at)
    await builder.remove_block(session, actor, lesson_id, block_id, base_updated_at=base)
    return redirect_with_flash(request, builder_url(lesson_id), tr(request, "Block deleted"))
