"""The lesson library: lessons with block content, versions (immutable once answered), folders,
search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import InvalidInput, NotFound, StaleVersion
from app.core.i18n import N_
from app.models.lms import Folder, Lesson, LessonStatus, LessonVersion, Media
from app.models.users import Role
from app.schemas.lms import LessonCreate, LessonFilters, LessonRead, LessonSummary, LessonUpdate
from app.schemas.lms.blocks import (
    Block,
    MediaBlock,
    max_score,
    question_count,
    stored_blocks,
)
from app.services.lms import attempt_history, repository
from app.services.lms.student_view import student_blocks
from app.services.paging import fetch_page
from app.services.scoping import require_role, tenant_id

STALE_LESSON = N_("The lesson changed meanwhile: reload it to see the latest version")


def blocks_of(lesson: Lesson | LessonVersion) -> list[Block]:
    """The stored content as validated block models (it was validated when written)."""
    return stored_blocks(lesson.content)


def _summary_fields(lesson: Lesson) -> dict[str, Any]:
    return {
        "id": lesson.id,
        "title": lesson.title,
        "subject": lesson.subject,
        "tags": list(lesson.tags or []),
        "status": lesson.status,
        "folder_id": lesson.folder_id,
        "version": lesson.version,
        "max_score": lesson.max_score,
        "question_count": lesson.question_count,
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
            "counted_attempt": lesson.counted_attempt,
        }
    )


async def _check_folder(session: AsyncSession, actor: Actor, folder_id: int | None) -> None:
    if folder_id is None:
        return
    found = await session.scalars(repository.owned_ids(Folder, actor, [folder_id]))
    if not found.all():
        raise InvalidInput(N_("Folder not found"), field="folder_id")


async def _check_media(session: AsyncSession, actor: Actor, blocks: list[Block]) -> None:
    """Blocks may point only at the teacher's own uploaded files (another's look missing)."""
    wanted = {
        index: block.media_id
        for index, block in enumerate(blocks)
        if isinstance(block, MediaBlock) and block.media_id is not None
    }
    if not wanted:
        return
    rows = await session.scalars(repository.owned_ids(Media, actor, set(wanted.values())))
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
    await _check_folder(session, actor, data.folder_id)
    await _check_media(session, actor, data.content)
    lesson = Lesson(
        teacher_id=tenant_id(actor),
        folder_id=data.folder_id,
        title=data.title,
        subject=data.subject,
        tags=data.tags,
        status=data.status,
        version=1,
        content=_content_json(data.content),
        block_count=len(data.content),
        question_count=question_count(data.content),
        max_score=max_score(data.content),
        attempt_limit=data.attempt_limit,
        time_limit_minutes=data.time_limit_minutes,
        shuffle_options=data.shuffle_options,
        counted_attempt=data.counted_attempt,
    )
    session.add(lesson)
    await session.flush()
    await _write_version(session, lesson)
    await session.refresh(lesson)
    return to_read(lesson)


async def get_owned_lesson(
    session: AsyncSession, actor: Actor, lesson_id: int, *, for_update: bool = False
) -> Lesson:
    """The teacher's lesson, or NotFound (also for another teacher's lesson). `for_update`
    locks the row until the transaction ends and re-reads it even if this session has it."""
    require_role(actor, Role.TEACHER)
    stmt = repository.lesson_by_id(actor, lesson_id, for_update=for_update)
    lesson = (await session.scalars(stmt)).one_or_none()
    if lesson is None:
        raise NotFound(N_("Lesson not found"))
    return lesson


async def get_lesson(session: AsyncSession, actor: Actor, lesson_id: int) -> LessonRead:
    return to_read(await get_owned_lesson(session, actor, lesson_id))


def check_not_stale(lesson: Lesson, *, base_updated_at: datetime | None) -> None:
    """StaleVersion when an edit was based on an older state of the lesson than the (locked)
    current one: `updated_at` moves with every save (`_touch`), blocks and settings alike, so
    it is the one token every form and API client sends back. None means the caller does not
    ask for the check."""
    if base_updated_at is not None and base_updated_at != lesson.updated_at:
        raise StaleVersion(STALE_LESSON)


def _touch(lesson: Lesson) -> None:
    """Mark a save. The clock, not `now()` (the transaction's start): two saves in one
    transaction get two tokens, and a save that waited for the row lock gets a later one than
    the save it waited for."""
    lesson.updated_at = func.clock_timestamp()  # type: ignore[assignment]  # SQL, set on flush


async def _save_version(session: AsyncSession, actor: Actor, lesson: Lesson) -> None:
    """Keep the current version in step with the content: rewritten in place while no
    assignment or attempt answers it, a new version once one does (what a student answered is
    graded against a version that never changes)."""
    assert lesson.id is not None
    await session.execute(repository.lock_version(actor, lesson.id, lesson.version))
    pinned = await session.scalar(repository.version_is_pinned(actor, lesson.id, lesson.version))
    if pinned:
        lesson.version += 1
        await session.flush()
        await _write_version(session, lesson)
        return
    await session.execute(
        repository.rewrite_version(
            actor,
            lesson.id,
            lesson.version,
            title=lesson.title,
            content=lesson.content,
            max_score=lesson.max_score,
        )
    )


async def _replace_content(
    session: AsyncSession, actor: Actor, lesson: Lesson, blocks: list[Block]
) -> None:
    new_content = _content_json(blocks)
    if new_content == lesson.content:
        return
    await _check_media(session, actor, blocks)
    lesson.content = new_content
    lesson.block_count = len(new_content)
    lesson.question_count = question_count(blocks)
    lesson.max_score = max_score(blocks)
    _touch(lesson)
    await _save_version(session, actor, lesson)


async def save_content(
    session: AsyncSession, actor: Actor, lesson: Lesson, blocks: list[Block]
) -> LessonRead:
    """Replace the blocks of a lesson the caller loaded `for_update` (a builder step), if they
    differ (see `_save_version`)."""
    await _replace_content(session, actor, lesson, blocks)
    await session.flush()
    await session.refresh(lesson)
    return to_read(lesson)


async def update_lesson(
    session: AsyncSession, actor: Actor, lesson_id: int, data: LessonUpdate
) -> LessonRead:
    """Apply the sent fields. New content rewrites the current version, or becomes a new one
    once students answer it (their answers and grades never change under them). An edit based
    on an older state (`base_updated_at`) is StaleVersion and changes nothing."""
    lesson = await get_owned_lesson(session, actor, lesson_id, for_update=True)
    check_not_stale(lesson, base_updated_at=data.base_updated_at)
    changes = data.model_dump(exclude_unset=True, exclude={"content", "base_updated_at"})
    if "folder_id" in changes:
        await _check_folder(session, actor, changes["folder_id"])
    rule_changed = changes.get("counted_attempt") not in (None, lesson.counted_attempt)
    for field, value in changes.items():
        if field in LessonUpdate.CLEARABLE or value is not None:
            setattr(lesson, field, value)
    if session.is_modified(lesson):
        _touch(lesson)
    if rule_changed:
        await attempt_history.recount_lesson(session, actor, lesson)
    if data.content is not None:
        await _replace_content(session, actor, lesson, data.content)
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
        counted_attempt=source.counted_attempt,
    )
    return await create_lesson(session, actor, data)


async def delete_lesson(session: AsyncSession, actor: Actor, lesson_id: int) -> None:
    """Delete a lesson nobody was given; a lesson with assignments is archived instead, so
    students' work and grades stay."""
    lesson = await get_owned_lesson(session, actor, lesson_id, for_update=True)
    if await session.scalar(repository.lesson_is_assigned(actor, lesson_id)):
        lesson.status = LessonStatus.ARCHIVED.value
        await session.flush()
        return
    await session.execute(repository.delete_lesson_versions(actor, lesson_id))
    await session.execute(repository.delete_lesson(actor, lesson_id))
    await session.flush()


async def list_lessons(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    filters: LessonFilters,
) -> tuple[list[LessonSummary], int]:
    """The library, newest edits first. `filters.q` matches the title or a tag; archived
    lessons show only when asked for by status."""
    require_role(actor, Role.TEACHER)
    stmt = repository.lesson_list(
        actor,
        status=filters.status,
        search=filters.q,
        tag=filters.tag,
        folder_id=filters.folder_id,
        subfolders=filters.subfolders,
    )
    rows, total = await fetch_page(session, stmt, limit=limit, offset=offset)
    return [to_summary(row[0]) for row in rows], total


@dataclass(frozen=True, slots=True)
class LessonPreview:
    lesson: Lesson
    blocks: list[dict[str, Any]]


async def preview(session: AsyncSession, actor: Actor, lesson_id: int) -> LessonPreview:
    """The lesson exactly as a student receives it (no answer keys), for its teacher; the
    lesson id seeds the shuffle, so a reload shows the same order."""
    lesson = await get_owned_lesson(session, actor, lesson_id)
    blocks = student_blocks(
        blocks_of(lesson), seed=lesson_id, shuffle_options=lesson.shuffle_options
    )
    return LessonPreview(lesson=lesson, blocks=blocks)
