"""What a student may see of a lesson: its blocks without answer keys.

Built from the validated blocks by listing what to keep (never by deleting keys), so a key added
to a block type later stays hidden unless someone decides to show it here.
"""

from __future__ import annotations

import random
from typing import Any

from app.schemas.blocks import (
    Block,
    EssayBlock,
    FileBlock,
    FillBlanksBlock,
    ImageBlock,
    MatchingBlock,
    MultipleChoiceBlock,
    NumericBlock,
    OrderingBlock,
    PdfBlock,
    ShortAnswerBlock,
    SingleChoiceBlock,
    TextBlock,
    TrueFalseBlock,
    VideoBlock,
)


def _options(options: list[Any], rng: random.Random | None) -> list[dict[str, str]]:
    shown = [{"id": option.id, "text": option.text} for option in options]
    if rng is not None:
        rng.shuffle(shown)
    return shown


def student_block(block: Block, rng: random.Random, *, shuffle_options: bool) -> dict[str, Any]:
    """One block as a student receives it (before grading: no keys, no explanations)."""
    base: dict[str, Any] = {"id": block.id, "type": block.type}
    if isinstance(block, TextBlock):
        return {**base, "markdown": block.markdown}
    if isinstance(block, VideoBlock | PdfBlock | FileBlock | ImageBlock):
        shown = {**base, "url": block.url, "media_id": block.media_id, "title": block.title}
        if isinstance(block, ImageBlock):
            shown["alt"] = block.alt
        return shown
    question = {**base, "prompt": block.prompt, "points": str(block.points)}
    choice_rng = rng if shuffle_options else None
    if isinstance(block, SingleChoiceBlock):
        return {**question, "options": _options(block.options, choice_rng)}
    if isinstance(block, MultipleChoiceBlock):
        return {**question, "options": _options(block.options, choice_rng)}
    if isinstance(block, TrueFalseBlock | ShortAnswerBlock | NumericBlock):
        return question
    if isinstance(block, MatchingBlock):
        left = [{"id": pair.id, "text": pair.left} for pair in block.pairs]
        # Under their own ids (a pair's id on both sides would pair them up), and always
        # shuffled: in lesson order the right column would give the answer away too.
        right = [{"id": pair.right_id, "text": pair.right} for pair in block.pairs]
        rng.shuffle(right)
        if choice_rng is not None:
            rng.shuffle(left)
        return {**question, "left": left, "right": right}
    if isinstance(block, OrderingBlock):
        # Always shuffled, for the same reason; a shuffle that happens to be the answer is
        # rotated once so the student never starts from the solution.
        items = _options(block.items, rng)
        if [item["id"] for item in items] == [item.id for item in block.items]:
            items = items[1:] + items[:1]
        return {**question, "items": items}
    if isinstance(block, FillBlanksBlock):
        return {**question, "text": block.text, "gaps": [{"id": gap.id} for gap in block.gaps]}
    if isinstance(block, EssayBlock):
        return {**question, "min_words": block.min_words, "max_words": block.max_words}
    raise AssertionError(f"unhandled block type {block.type}")


def student_blocks(
    blocks: list[Block], *, seed: int, shuffle_options: bool
) -> list[dict[str, Any]]:
    """The lesson for one student; the same seed (the assignment) gives the same order on reload."""
    rng = random.Random(seed)  # noqa: S311 - shuffling answer options, not cryptography
    return [student_block(block, rng, shuffle_options=shuffle_options) for block in blocks]


def revealed_block(block: Block) -> dict[str, Any]:
    """The full block with its keys and explanation, for a graded result the teacher opened."""
    return block.model_dump(mode="json")
