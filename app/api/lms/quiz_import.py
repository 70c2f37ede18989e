"""Question banks through the JSON API: preview a GIFT or Moodle XML text, import it into a new
or an existing lesson, export a lesson's questions as GIFT."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from app.api.deps import IdPath, SessionDep, TeacherActor
from app.api.templating import language_of
from app.schemas.lms.quiz_import import (
    QuizImportInto,
    QuizImportNew,
    QuizImportRead,
    QuizPreviewRead,
    QuizProblemRead,
    QuizQuestionRead,
    QuizSource,
)
from app.services.lms import quiz_import as quiz_service
from app.services.lms.quiz_formats import Problem

router = APIRouter(tags=["lessons"])
GIFT_MEDIA_TYPE = "text/plain; charset=utf-8"


def problems_read(problems: list[Problem], language: str) -> list[QuizProblemRead]:
    return [
        QuizProblemRead(
            number=problem.where.number,
            line=problem.where.line,
            name=problem.where.name,
            reason=problem.reason.render(language),
        )
        for problem in problems
    ]


def preview_read(preview: quiz_service.ImportPreview, language: str) -> QuizPreviewRead:
    fmt = "moodle_xml" if preview.format == "moodle_xml" else "gift"
    return QuizPreviewRead(
        format=fmt,
        questions=[
            QuizQuestionRead(
                number=question.where.number,
                line=question.where.line,
                name=question.where.name,
                type=question.block.block_type(),
                block=question.block,
                notes=[note.render(language) for note in question.notes],
            )
            for question in preview.questions
        ],
        problems=problems_read(preview.problems, language),
    )


@router.post("/lessons/import/preview", response_model=QuizPreviewRead)
async def preview_quiz_import(
    request: Request, body: QuizSource, actor: TeacherActor
) -> QuizPreviewRead:
    """What a GIFT or Moodle XML text would import (nothing is saved): the questions as blocks,
    and those that cannot be imported with their line (GIFT) or number and name (XML)."""
    preview = quiz_service.preview_new(actor, body.source, body.format)
    return preview_read(preview, language_of(request))


@router.post("/lessons/{lesson_id}/import/preview", response_model=QuizPreviewRead)
async def preview_quiz_import_into_lesson(
    request: Request, lesson_id: IdPath, body: QuizSource, actor: TeacherActor, session: SessionDep
) -> QuizPreviewRead:
    """What a GIFT or Moodle XML text would add to this lesson (nothing is saved)."""
    _, preview = await quiz_service.preview_for_lesson(
        session, actor, lesson_id, body.source, body.format
    )
    return preview_read(preview, language_of(request))


@router.post("/lessons/import", response_model=QuizImportRead, status_code=status.HTTP_201_CREATED)
async def import_quiz_as_lesson(
    request: Request, body: QuizImportNew, actor: TeacherActor, session: SessionDep
) -> QuizImportRead:
    """A new draft lesson with the text's questions; `problems` lists those left out."""
    lesson, preview = await quiz_service.import_as_new_lesson(
        session, actor, body.source, body.format, title=body.title, folder_id=body.folder_id
    )
    return QuizImportRead(
        lesson=lesson,
        imported=len(preview.questions),
        problems=problems_read(preview.problems, language_of(request)),
    )


@router.post(
    "/lessons/{lesson_id}/import",
    response_model=QuizImportRead,
    responses={
        409: {
            "description": "`stale_version`: the lesson was saved since `base_updated_at`;"
            " nothing was imported"
        }
    },
)
async def import_quiz_into_lesson(
    request: Request,
    lesson_id: IdPath,
    body: QuizImportInto,
    actor: TeacherActor,
    session: SessionDep,
) -> QuizImportRead:
    """Append the text's questions to the end of the lesson; `problems` lists those left out."""
    lesson, preview = await quiz_service.import_into_lesson(
        session,
        actor,
        lesson_id,
        body.source,
        body.format,
        base_updated_at=body.base_updated_at,
    )
    return QuizImportRead(
        lesson=lesson,
        imported=len(preview.questions),
        problems=problems_read(preview.problems, language_of(request)),
    )


def gift_download(export: quiz_service.GiftExport) -> Response:
    return Response(
        content=export.text.encode(),
        media_type=GIFT_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@router.get(
    "/lessons/{lesson_id}/export.gift",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "The GIFT file (UTF-8)"}},
)
async def export_lesson_gift(
    request: Request, lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> Response:
    """The lesson's questions and text blocks as a GIFT file for Moodle (or another lesson)."""
    export = await quiz_service.export_gift(
        session, actor, lesson_id, language=language_of(request)
    )
    return gift_download(export)
