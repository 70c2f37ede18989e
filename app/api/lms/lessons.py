"""The teacher's lesson library and folders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status

from app.api.deps import IdPath, PaginationDep, SessionDep, TeacherActor
from app.schemas.common import Page
from app.schemas.lms import (
    DueDateChange,
    DueDateChanged,
    FolderCreate,
    FolderRead,
    FolderUpdate,
    LessonCreate,
    LessonFilters,
    LessonRead,
    LessonSummary,
    LessonUpdate,
    Title,
)
from app.services.lms import assigning as assigning_service
from app.services.lms import folders as folder_service
from app.services.lms import lessons as lesson_service

router = APIRouter(tags=["lessons"])

LessonFiltersQuery = Annotated[LessonFilters, Query()]


@router.get("/lessons", response_model=Page[LessonSummary])
async def list_lessons(
    actor: TeacherActor,
    session: SessionDep,
    page: PaginationDep,
    filters: LessonFiltersQuery,
) -> Page[LessonSummary]:
    """The library, most recently edited first; archived lessons only when asked for."""
    items, total = await lesson_service.list_lessons(
        session, actor, limit=page.limit, offset=page.offset, filters=filters
    )
    return Page[LessonSummary].build(items, total, page)


@router.post("/lessons", response_model=LessonRead, status_code=status.HTTP_201_CREATED)
async def create_lesson(body: LessonCreate, actor: TeacherActor, session: SessionDep) -> LessonRead:
    """Create a lesson; invalid blocks get 422 naming the block index and field."""
    return await lesson_service.create_lesson(session, actor, body)


@router.get("/lessons/{lesson_id}", response_model=LessonRead)
async def get_lesson(lesson_id: IdPath, actor: TeacherActor, session: SessionDep) -> LessonRead:
    """One lesson with its blocks and answer keys (teacher only)."""
    return await lesson_service.get_lesson(session, actor, lesson_id)


@router.get("/lessons/{lesson_id}/preview")
async def preview_lesson(
    lesson_id: IdPath, actor: TeacherActor, session: SessionDep
) -> list[dict[str, object]]:
    """The blocks exactly as a student receives them (no answer keys)."""
    return (await lesson_service.preview(session, actor, lesson_id)).blocks


@router.patch(
    "/lessons/{lesson_id}",
    response_model=LessonRead,
    responses={
        409: {
            "description": "`stale_version`: the lesson was saved since `base_updated_at`;"
            " nothing was changed"
        }
    },
)
async def update_lesson(
    lesson_id: IdPath, body: LessonUpdate, actor: TeacherActor, session: SessionDep
) -> LessonRead:
    """Edit a lesson; new content rewrites the current version until students are given it,
    then becomes a new one (answered versions never change). Send the `updated_at` you read as
    `base_updated_at` and an edit saved meanwhile elsewhere gets 409 `stale_version` instead of
    being overwritten."""
    return await lesson_service.update_lesson(session, actor, lesson_id, body)


@router.post(
    "/lessons/{lesson_id}/duplicate", response_model=LessonRead, status_code=status.HTTP_201_CREATED
)
async def duplicate_lesson(
    lesson_id: IdPath,
    actor: TeacherActor,
    session: SessionDep,
    title: Annotated[Title | None, Body(embed=True)] = None,
) -> LessonRead:
    """Copy a lesson as a new draft."""
    return await lesson_service.duplicate_lesson(session, actor, lesson_id, title=title)


@router.delete("/lessons/{lesson_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_lesson(lesson_id: IdPath, actor: TeacherActor, session: SessionDep) -> Response:
    """Delete a lesson; one that was assigned is archived instead (students' work stays)."""
    await lesson_service.delete_lesson(session, actor, lesson_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/lessons/{lesson_id}/due-date", response_model=DueDateChanged)
async def change_lesson_due_date(
    lesson_id: IdPath, body: DueDateChange, actor: TeacherActor, session: SessionDep
) -> DueDateChanged:
    """Move the due date of everyone who has the lesson (null: no due date); a past date
    needs `allow_past`. `updated` counts the assignments changed."""
    return await assigning_service.change_due_date(session, actor, body, lesson_id=lesson_id)


@router.get("/folders", response_model=list[FolderRead])
async def list_folders(actor: TeacherActor, session: SessionDep) -> list[FolderRead]:
    """All the teacher's folders (a tree through `parent_id`)."""
    return await folder_service.list_folders(session, actor)


@router.post("/folders", response_model=FolderRead, status_code=status.HTTP_201_CREATED)
async def create_folder(body: FolderCreate, actor: TeacherActor, session: SessionDep) -> FolderRead:
    """Create a folder, optionally inside another; 409 at `name` if that level has one of
    that name (any case)."""
    return await folder_service.create_folder(session, actor, body)


@router.patch("/folders/{folder_id}", response_model=FolderRead)
async def update_folder(
    folder_id: IdPath, body: FolderUpdate, actor: TeacherActor, session: SessionDep
) -> FolderRead:
    """Rename or move a folder (never into itself or a folder inside it)."""
    return await folder_service.update_folder(session, actor, folder_id, body)


@router.delete("/folders/{folder_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_folder(folder_id: IdPath, actor: TeacherActor, session: SessionDep) -> Response:
    """Delete an empty folder (409 if it holds lessons or folders)."""
    await folder_service.delete_folder(session, actor, folder_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
