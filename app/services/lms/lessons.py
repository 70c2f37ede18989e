"""The lesson library: lessons with block content, immutable versions, folders, search."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.actor import Actor
from app.core.errors import InvalidInput, NotFound
from app.core.i18n import N_
from app.models.lms import Folder, Lesson, LessonAssignment, LessonStatus, LessonVersion, Media
from app.models.users import Role
from app.schemas.blocks import (
    QUESTION_KINDS,
    Block,
    MediaBlock,
    content_adapter,
    is_question,
    max_score,
)
from app.schemas.lms import LessonCreate, LessonRead, LessonSummary, LessonUpdate
from app.services.paging import fetch_page
from app.services.scoping import require_role, tenant_id


def blocks_of(lesson: Lesson | LessonVersion) -> list[Block]:
    """The stored content as validated block models (it was validated when written)."""
    return content_adapter.validate_python(lesson.content)


def _summary_fields(lesson: Lesson) -> dict[str, Any]:
    blocks = lesson.content
    return {
        "id": lesson.id,
        "title": lesson.title,
        "subject": lesson.subject,
        "tags": list(lesson.tags or []),
        "status": lesson.status,
        "folder_id": lesson.folder_id,
        "version": lesson.version,
        "max_score": lesson.max_score,
        "question_count": sum(1 for block in blocks if block.get("type") in QUESTION_KINDS),
        "created_at": lesson.created_at,
        "updated_at": lesson.updated_at,
    }


def to_summary(lesson: Lesson) -> LessonSummary:
    return LessonSummary.model_validate(_summary_fields(lesson))


def to_read(lesson: Lesson) -> LessonRead:
    return LessonRead.model_validate(
        {
            **_summary_fields(lesson),
            "content": blocks_of(lesson),
            "attempt_limit": lesson.attempt_limit,
            "time_limit_minutes": lesson.time_limit_minutes,
            "shuffle_options": lesson.shuffle_options,
        }
    )


async def _check_folder(session: AsyncSession, teacher_id: int, folder_id: int | None) -> None:
    if folder_id is None:
        return
    found = await session.scalar(
        select(col(Folder.id)).where(
            col(Folder.teacher_id) == teacher_id, col(Folder.id) == folder_id
        )
    )
    if found is None:
        raise InvalidInput(N_("Folder not found"), field="folder_id")


async def _check_media(session: AsyncSession, teacher_id: int, blocks: list[Block]) -> None:
    """Blocks may point only at the teacher's own uploaded files (another's look missing)."""
    wanted = {
        index: block.media_id
        for index, block in enumerate(blocks)
        if isinstance(block, MediaBlock) and block.media_id is not None
    }
    if not wanted:
        return
    rows = await session.scalars(
        select(col(Media.id)).where(
            col(Media.teacher_id) == teacher_id, col(Media.id).in_(set(wanted.values()))
        )
    )
    found = set(rows.all())
    for index, media_id in wanted.items():
        if media_id not in found:
            raise InvalidInput(N_("File not found"), field=f"content.{index}.media_id")


def _content_json(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.model_dump(mode="json") for block in blocks]


async def _write_version(session: AsyncSession, lesson: Lesson) -> None:
    assert lesson.id is not None
    session.add(
        LessonVersion(
            teacher_id=lesson.teacher_id,
            lesson_id=lesson.id,
            version=lesson.version,
            title=lesson.title,
            content=lesson.content,
            max_score=lesson.max_score,
        )
    )
    await session.flush()


async def create_lesson(session: AsyncSession, actor: Actor, data: LessonCreate) -> LessonRead:
    """A new lesson (version 1). Teacher only; folder and media must be the teacher's own."""
    require_role(actor, Role.TEACHER)
    teacher_id = tenant_id(actor)
    await _check_folder(session, teacher_id, data.folder_id)
    await _check_media(session, teacher_id, data.content)
    lesson = Lesson(
        teacher_id=teacher_id,
        folder_id=data.folder_id,
        title=data.title,
        subject=data.subject,
        tags=data.tags,
        status=data.status,
        version=1,
        content=_content_json(data.content),
        block_count=len(data.content),
        max_score=max_score(data.content),
        attempt_limit=data.attempt_limit,
        time_limit_minutes=data.time_limit_minutes,
        shuffle_options=data.shuffle_options,
    )
    session.add(lesson)
    await session.flush()
    await _write_version(session, lesson)
    await session.refresh(lesson)
    return to_read(lesson)


async def get_owned_lesson(
    session: AsyncSession, actor: Actor, lesson_id: int, *, for_update: bool = False
) -> Lesson:
    """The teacher's lesson, or NotFound (also for another teacher's lesson)."""
    require_role(actor, Role.TEACHER)
    stmt = select(Lesson).where(
        col(Lesson.teacher_id) == tenant_id(actor), col(Lesson.id) == lesson_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    lesson = (await session.scalars(stmt)).one_or_none()
    if lesson is None:
        raise NotFound(N_("Lesson not found"))
    return lesson


async def get_lesson(session: AsyncSession, actor: Actor, lesson_id: int) -> LessonRead:
    return to_read(await get_owned_lesson(session, actor, lesson_id))


async def update_lesson(
    session: AsyncSession, actor: Actor, lesson_id: int, data: LessonUpdate
) -> LessonRead:
    """Apply the sent fields. New content becomes a new version; students who answered an
    older version keep it (their answers and grades never change under them)."""
    lesson = await get_owned_lesson(session, actor, lesson_id, for_update=True)
    changes = data.model_dump(exclude_unset=True, exclude={"content"})
    if "folder_id" in changes:
        await _check_folder(session, lesson.teacher_id, changes["folder_id"])
    for field in ("title", "status", "tags", "shuffle_options"):
        if changes.get(field) is not None:
            setattr(lesson, field, changes[field])
    for field in ("subject", "folder_id", "attempt_limit", "time_limit_minutes"):
        if field in changes:
            setattr(lesson, field, changes[field])
    if data.content is not None:
        new_content = _content_json(data.content)
        if new_content != lesson.content:
            await _check_media(session, lesson.teacher_id, data.content)
            lesson.content = new_content
            lesson.block_count = len(new_content)
            lesson.max_score = max_score(data.content)
            lesson.version += 1
            await session.flush()
            await _write_version(session, lesson)
    await session.flush()
    await session.refresh(lesson)
    return to_read(lesson)


async def duplicate_lesson(
    session: AsyncSession, actor: Actor, lesson_id: int, *, title: str | None = None
) -> LessonRead:
    """A draft copy (same blocks and ids, version 1, no assignments)."""
    source = await get_owned_lesson(session, actor, lesson_id)
    data = LessonCreate(
        title=(title or f"{source.title} (copy)")[:200],
        subject=source.subject,
        tags=list(source.tags or []),
        status="draft",
        folder_id=source.folder_id,
        content=blocks_of(source),
        attempt_limit=source.attempt_limit,
        time_limit_minutes=source.time_limit_minutes,
        shuffle_options=source.shuffle_options,
    )
    return await create_lesson(session, actor, data)


async def delete_lesson(session: AsyncSession, actor: Actor, lesson_id: int) -> None:
    """Delete a lesson nobody was given; a lesson with assignments is archived instead, so
    students' work and grades stay."""
    lesson = await get_owned_lesson(session, actor, lesson_id, for_update=True)
    assigned = await session.scalar(
        select(
            exists().where(
                col(LessonAssignment.teacher_id) == lesson.teacher_id,
                col(LessonAssignment.lesson_id) == lesson_id,
            )
        )
    )
    if assigned:
        lesson.status = LessonStatus.ARCHIVED.value
        await session.flush()
        return
    await session.execute(
        delete(LessonVersion).where(
            col(LessonVersion.teacher_id) == lesson.teacher_id,
            col(LessonVersion.lesson_id) == lesson_id,
        )
    )
    await session.delete(lesson)
    await session.flush()


async def list_lessons(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    search: str | None = None,
    tag: str | None = None,
    folder_id: int | None = None,
    status: str | None = None,
) -> tuple[list[LessonSummary], int]:
    """The library, newest edits first. `search` matches the title or a tag; archived lessons
    show only when asked for by status."""
    require_role(actor, Role.TEACHER)
    conditions = [col(Lesson.teacher_id) == tenant_id(actor)]
    if status:
        conditions.append(col(Lesson.status) == status)
    else:
        conditions.append(col(Lesson.status) != LessonStatus.ARCHIVED.value)
    if search:
        term = search.strip()
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(
            or_(
                col(Lesson.title).ilike(f"%{escaped}%", escape="\\"),
                col(Lesson.tags).contains([term.lower()]),
            )
        )
    if tag:
        conditions.append(col(Lesson.tags).contains([tag.strip().lower()]))
    if folder_id is not None:
        conditions.append(col(Lesson.folder_id) == folder_id)
    rows, total = await fetch_page(
        session,
        select(Lesson)
        .where(*conditions)
        .order_by(col(Lesson.updated_at).desc(), col(Lesson.id).desc()),
        limit=limit,
        offset=offset,
    )
    return [to_summary(row[0]) for row in rows], total


def question_blocks(blocks: list[Block]) -> list[Block]:
    return [block for block in blocks if is_question(block)]
