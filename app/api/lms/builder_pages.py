"""The lesson builder: the lesson's settings and every block's editor, block by block.

Every form carries the lesson version it was based on (`base_version`): an edit made in a tab
that has not seen a newer one is refused (409) and the builder shows the lesson as it is now,
with the teacher's unsaved block still in its form.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import IdPath, SessionDep, TeacherActor
from app.api.forms import ContextLoader, read_form, redirect_on_error, rerender_on_error
from app.api.lms.block_forms import block_to_form, default_form, form_to_block
from app.api.lms.lessons_pages import builder_url
from app.api.templating import language_of, redirect_with_flash, render, tr
from app.core.actor import Actor
from app.core.errors import AppError, InvalidInput
from app.core.i18n import N_, gettext_for
from app.schemas.lms.blocks import BLOCK_TYPES, new_block_id
from app.services.lms import builder
from app.services.lms import folders as folder_service
from app.services.lms import lessons as lesson_service

router = APIRouter(prefix="/lessons/{lesson_id}")
BUILDER = "lms/builder.html"
BaseVersion = Annotated[int | None, Form(ge=1, le=1_000_000)]


async def _builder_context(
    session: AsyncSession,
    actor: Actor,
    lesson_id: int,
    *,
    adding: str | None = None,
    editing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    lesson = await lesson_service.get_lesson(session, actor, lesson_id)
    folders = await folder_service.list_folders(session, actor)
    return {
        "lesson": lesson,
        "folders": folders,
        "forms": {block.id: block_to_form(block) for block in lesson.content},
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
    return render(request, BUILDER, await _builder_context(session, actor, lesson_id, adding=add))


def _block_messages(error: Exception, index: int, language: str) -> list[str]:
    """One block's errors, each with the field path inside the block."""
    if isinstance(error, AppError):
        return [error.text(language)]
    assert isinstance(error, ValidationError)
    messages = []
    for item in error.errors():
        location = list(item["loc"])
        if location and location[0] == index:
            location = location[2:]  # drop the index and the block type tag
        where = ".".join(str(part) for part in location)
        message = gettext_for(language, str(item["msg"]))
        messages.append(f"{where}: {message}" if where else message)
    return messages


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
        return await _builder_context(session, actor, lesson_id, adding=adding, editing=editing)

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
    base_version = int(values["base_version"]) if values.get("base_version", "").isdigit() else None
    new_id = block_id or new_block_id()
    block = form_to_block(block_type, new_id, values)
    if block_id is None:
        await builder.add_block(session, actor, lesson_id, block, base_version=base_version)
    else:
        await builder.replace_block(
            session, actor, lesson_id, block_id, block, base_version=base_version
        )
    return redirect_with_flash(
        request, builder_url(lesson_id, f"#block-{new_id}"), tr(request, "Block saved")
    )


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
    base_version: BaseVersion = None,
) -> Response:
    """Move a block up or down."""
    redirect_on_error(request, builder_url(lesson_id))
    await builder.move_block(
        session, actor, lesson_id, block_id, direction, base_version=base_version
    )
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
    base_version: BaseVersion = None,
) -> Response:
    """Delete a block."""
    redirect_on_error(request, builder_url(lesson_id))
    await builder.remove_block(session, actor, lesson_id, block_id, base_version=base_version)
    return redirect_with_flash(request, builder_url(lesson_id), tr(request, "Block deleted"))
