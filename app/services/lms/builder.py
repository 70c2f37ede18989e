"""Block-by-block editing for the lesson builder: each step validates the whole lesson and
saves it like any content change (the current version is rewritten until students answer it).

Each step's first read of the lesson takes its row lock, so two steps on one lesson (two tabs, a
double click) run one after the other, each on the other's result. A step may carry the
`base_updated_at` its page showed: if the lesson has been saved since, it is StaleVersion and
nothing is written (the page offers a reload instead of silently undoing the other edit).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound
from app.core.i18n import N_
from app.models.lms import Lesson
from app.schemas.lms import LessonRead
from app.schemas.lms.blocks import content_adapter
from app.services.lms import lessons as lesson_service


async def _locked(
    session: AsyncSession, actor: Actor, lesson_id: int, base_updated_at: datetime | None
) -> tuple[Lesson, list[dict[str, Any]]]:
    """The lesson, locked for this transaction and checked against `base_updated_at`, and a
    copy of its blocks to edit."""
    lesson = await lesson_service.get_owned_lesson(session, actor, lesson_id, for_update=True)
    lesson_service.check_not_stale(lesson, base_updated_at=base_updated_at)
    return lesson, [dict(block) for block in lesson.content]


async def _save(
    session: AsyncSession, actor: Actor, lesson: Lesson, content: list[dict[str, Any]]
) -> LessonRead:
    # Raises pydantic's ValidationError with the block index in each error's location.
    blocks = content_adapter.validate_python(content)
    return await lesson_service.save_content(session, actor, lesson, blocks)


def _index(content: list[dict[str, Any]], block_id: str) -> int:
    for index, block in enumerate(content):
        if block.get("id") == block_id:
            return index
    raise NotFound(N_("Block not found"))


async def add_block(
    session: AsyncSession,
    actor: Actor,
    lesson_id: int,
    block: dict[str, Any],
    *,
    base_updated_at: datetime | None = None,
) -> LessonRead:
    """Append a block at the end."""
    lesson, content = await _locked(session, actor, lesson_id, base_updated_at)
    return await _save(session, actor, lesson, [*content, block])


async def add_blocks(
    session: AsyncSession,
    actor: Actor,
    lesson_id: int,
    blocks: list[dict[str, Any]],
    *,
    base_updated_at: datetime | None = None,
) -> LessonRead:
    """Append several blocks at the end in one save (a quiz import)."""
    lesson, content = await _locked(session, actor, lesson_id, base_updated_at)
    return await _save(session, actor, lesson, [*content, *blocks])


async def replace_block(
    session: AsyncSession,
    actor: Actor,
    lesson_id: int,
    block_id: str,
    block: dict[str, Any],
    *,
    base_updated_at: datetime | None = None,
) -> LessonRead:
    """Save an edited block in place (its id stays)."""
    lesson, content = await _locked(session, actor, lesson_id, base_updated_at)
    content[_index(content, block_id)] = {**block, "id": block_id}
    return await _save(session, actor, lesson, content)


async def move_block(
    session: AsyncSession,
    actor: Actor,
    lesson_id: int,
    block_id: str,
    direction: Literal["up", "down"],
    *,
    base_updated_at: datetime | None = None,
) -> LessonRead:
    """Swap a block with its neighbour; at either end nothing moves."""
    lesson, content = await _locked(session, actor, lesson_id, base_updated_at)
    index = _index(content, block_id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(content):
        content[index], content[other] = content[other], content[index]
    return await _save(session, actor, lesson, content)


async def remove_block(
    session: AsyncSession,
    actor: Actor,
    lesson_id: int,
    block_id: str,
    *,
    base_updated_at: datetime | None = None,
) -> LessonRead:
    lesson, content = await _locked(session, actor, lesson_id, base_updated_at)
    del content[_index(content, block_id)]
    return await _save(session, actor, lesson, content)
