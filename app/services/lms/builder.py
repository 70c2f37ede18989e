"""Block-by-block editing for the lesson builder: each step validates the whole lesson and, like
any content change, saves a new version."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound
from app.core.i18n import N_
from app.schemas.blocks import content_adapter
from app.schemas.lms import LessonRead, LessonUpdate
from app.services.lms import lessons as lesson_service


async def _save(
    session: AsyncSession, actor: Actor, lesson_id: int, content: list[dict[str, Any]]
) -> LessonRead:
    # Raises pydantic's ValidationError with the block index in each error's location.
    blocks = content_adapter.validate_python(content)
    return await lesson_service.update_lesson(
        session, actor, lesson_id, LessonUpdate(content=blocks)
    )


async def _content(session: AsyncSession, actor: Actor, lesson_id: int) -> list[dict[str, Any]]:
    lesson = await lesson_service.get_owned_lesson(session, actor, lesson_id)
    return [dict(block) for block in lesson.content]


def _index(content: list[dict[str, Any]], block_id: str) -> int:
    for index, block in enumerate(content):
        if block.get("id") == block_id:
            return index
    raise NotFound(N_("Block not found"))


async def add_block(
    session: AsyncSession, actor: Actor, lesson_id: int, block: dict[str, Any]
) -> LessonRead:
    """Append a block at the end."""
    content = await _content(session, actor, lesson_id)
    return await _save(session, actor, lesson_id, [*content, block])


async def replace_block(
    session: AsyncSession, actor: Actor, lesson_id: int, block_id: str, block: dict[str, Any]
) -> LessonRead:
    """Save an edited block in place (its id stays)."""
    content = await _content(session, actor, lesson_id)
    content[_index(content, block_id)] = {**block, "id": block_id}
    return await _save(session, actor, lesson_id, content)


async def move_block(
    session: AsyncSession,
    actor: Actor,
    lesson_id: int,
    block_id: str,
    direction: Literal["up", "down"],
) -> LessonRead:
    """Swap a block with its neighbour; at either end nothing moves."""
    content = await _content(session, actor, lesson_id)
    index = _index(content, block_id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(content):
        content[index], content[other] = content[other], content[index]
    return await _save(session, actor, lesson_id, content)


async def remove_block(
    session: AsyncSession, actor: Actor, lesson_id: int, block_id: str
) -> LessonRead:
    content = await _content(session, actor, lesson_id)
    del content[_index(content, block_id)]
    return await _save(session, actor, lesson_id, content)
