"""Teacher pages for question banks: upload (or paste) a GIFT or Moodle XML file, see what it
would import and what it cannot, confirm; download a lesson's questions as GIFT.

The preview page carries the file's text in a hidden field of its confirm form: confirming sends
it again and it is read again (nothing is saved from what the preview showed). Both forms are
multipart, so a 1 MiB file of Cyrillic text is not tripled by URL-encoding.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from app.api.deps import IdPath, SessionDep, TeacherActor
from app.api.forms import BAD_CHOICE, ContextLoader, read_form, rerender_on_error
from app.api.lms.lessons_pages import based_on, builder_url
from app.api.lms.quiz_import import gift_download
from app.api.templating import language_of, redirect_with_flash, render, tr
from app.core.actor import Actor
from app.core.errors import AppError, InvalidInput
from app.core.i18n import N_
from app.schemas.lms.quiz_import import FORMATS, MAX_SOURCE_BYTES, QuizFormatName
from app.services.lms import lessons as lesson_service
from app.services.lms import quiz_import as quiz_service

router = APIRouter()
IMPORT_FORM = "lms/import.html"
IMPORT_PREVIEW = "lms/import_preview.html"
# A form field holding the text: the file's bytes, plus a CR for every line a browser sends back.
MAX_PART = 2 * MAX_SOURCE_BYTES
DEFAULT_TITLE = N_("Imported questions")


def _format(values: dict[str, str]) -> QuizFormatName:
    chosen = values.get("format") or "auto"
    for name in FORMATS:
        if chosen == name:
            return name
    raise InvalidInput(BAD_CHOICE, field="format")


async def _read_upload(request: Request) -> tuple[dict[str, str], str]:
    """The form's text fields and the quiz text: the uploaded file's, else the pasted one."""
    form = await request.form(max_part_size=MAX_PART)
    upload = form.get("file")
    values = await read_form(request)  # the same parsed form, its text fields checked
    values.pop("file", None)
    if isinstance(upload, UploadFile) and upload.filename:
        source = quiz_service.decode(await upload.read(MAX_SOURCE_BYTES + 1))
        stem = PurePath(upload.filename).stem.replace("_", " ").strip()
        values["file_title"] = stem[:200]
        return values, source
    return values, values.get("source", "")


def _form_context(actor: Actor, lesson_id: int | None) -> ContextLoader:
    async def load(session: AsyncSession, error: Exception) -> dict[str, Any]:
        lesson = await lesson_service.get_lesson(session, actor, lesson_id) if lesson_id else None
        return {"lesson": lesson, "formats": FORMATS}

    return load


async def _form_page(
    request: Request, session: AsyncSession, actor: Actor, lesson_id: int | None
) -> Response:
    context = await _form_context(actor, lesson_id)(session, Exception())
    return render(request, IMPORT_FORM, {**context, "values": {"format": "auto"}, "errors": {}})


@router.get("/lessons/import", response_class=HTMLResponse)
async def quiz_import_page(request: Request, actor: TeacherActor, session: SessionDep) -> Response:
    """Upload or paste a GIFT or Moodle XML file to make a new lesson of its questions."""
    return await _form_page(request, session, actor, None)


@router.get("/lessons/{lesson_id}/import", response_class=HTMLResponse)
async def quiz_import_into_lesson_page(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Upload or paste a GIFT or Moodle XML file to add its questions to this lesson."""
    return await _form_page(request, session, actor, lesson_id)


def _preview_context(
    actor: Actor, lesson_id: int | None, values: dict[str, str], source: str
) -> ContextLoader:
    """The preview page for `source`; on a failed confirm, shown again with the error."""

    async def load(session: AsyncSession, error: Exception) -> dict[str, Any]:
        lesson = await lesson_service.get_lesson(session, actor, lesson_id) if lesson_id else None
        try:
            preview = quiz_service.read(source, _format(values))
        except AppError:
            preview = None  # the text sent back is no quiz now: the page says so, links back
        return {
            "lesson": lesson,
            "preview": preview,
            "source": source,
            "answer_lines": quiz_service.answer_lines,
        }

    return load


async def _preview(
    request: Request, session: AsyncSession, actor: Actor, lesson_id: int | None
) -> Response:
    rerender_on_error(request, IMPORT_FORM, values={}, context=_form_context(actor, lesson_id))
    values, source = await _read_upload(request)
    rerender_on_error(request, IMPORT_FORM, values=values, context=_form_context(actor, lesson_id))
    text_format = _format(values)
    if lesson_id:
        lesson, preview = await quiz_service.preview_for_lesson(
            session, actor, lesson_id, source, text_format
        )
    else:
        lesson, preview = None, quiz_service.preview_new(actor, source, text_format)
    title = values.get("file_title") or tr(request, DEFAULT_TITLE)
    return render(
        request,
        IMPORT_PREVIEW,
        {
            "lesson": lesson,
            "preview": preview,
            "source": quiz_service.normalize(source),
            "values": {"title": title, "format": preview.format},
            "errors": {},
            "answer_lines": quiz_service.answer_lines,
        },
    )


@router.post("/lessons/import/preview", response_class=HTMLResponse)
async def quiz_import_preview(
    request: Request, actor: TeacherActor, session: SessionDep
) -> Response:
    """What the file would put in a new lesson, and what it cannot; nothing is saved yet."""
    return await _preview(request, session, actor, None)


@router.post("/lessons/{lesson_id}/import/preview", response_class=HTMLResponse)
async def quiz_import_into_lesson_preview(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """What the file would add to this lesson, and what it cannot; nothing is saved yet."""
    return await _preview(request, session, actor, lesson_id)


def _confirm(request: Request, actor: Actor, values: dict[str, str], lesson_id: int | None) -> None:
    """If the import fails, the preview again with the error (a stale lesson: the builder)."""
    source = values.get("source", "")
    rerender_on_error(
        request,
        IMPORT_PREVIEW,
        values=values,
        context=_preview_context(actor, lesson_id, values, source),
        conflict_redirect=builder_url(lesson_id) if lesson_id else None,
    )


@router.post("/lessons/import", response_class=HTMLResponse)
async def quiz_import_submit(
    request: Request, actor: TeacherActor, session: SessionDep
) -> Response:
    """Create the lesson from the file's questions (read again) and open it in the builder."""
    await request.form(max_part_size=MAX_PART)
    values = await read_form(request)
    _confirm(request, actor, values, None)
    lesson, preview = await quiz_service.import_as_new_lesson(
        session, actor, values.get("source", ""), _format(values), title=values.get("title", "")
    )
    message = tr(request, "Blocks imported: {count}").format(count=len(preview.questions))
    return redirect_with_flash(request, builder_url(lesson.id), message)


@router.post("/lessons/{lesson_id}/import", response_class=HTMLResponse)
async def quiz_import_into_lesson_submit(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Append the file's questions (read again) to the lesson and go back to the builder."""
    await request.form(max_part_size=MAX_PART)
    values = await read_form(request)
    _confirm(request, actor, values, lesson_id)
    _, preview = await quiz_service.import_into_lesson(
        session,
        actor,
        lesson_id,
        values.get("source", ""),
        _format(values),
        base_updated_at=based_on(values.get("base_updated_at")),
    )
    message = tr(request, "Blocks imported: {count}").format(count=len(preview.questions))
    return redirect_with_flash(request, builder_url(lesson_id), message)


@router.get("/lessons/{lesson_id}/export.gift")
async def export_lesson_gift_page(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """Download the lesson's questions as a GIFT file."""
    export = await quiz_service.export_gift(
        session, actor, lesson_id, language=language_of(request)
    )
    return gift_download(export)
