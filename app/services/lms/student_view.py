"""What a student may see of a lesson: its blocks without answer keys.

Each block type builds its own view (`student_view` in its module under
`app.schemas.lms.blocks`) by listing what to keep, never by deleting keys, so a key added to a
block type later stays hidden unless someone decides to show it.
"""

from __future__ import annotations

import random
from typing import Any

from app.schemas.lms.blocks import Block


def student_blocks(
    blocks: list[Block], *, seed: int, shuffle_options: bool
) -> list[dict[str, Any]]:
    """The lesson for one student; the same seed (the assignment) gives the same order on reload."""
    rng = random.Random(seed)  # noqa: S311 - shuffling answer options, not cryptography
    return [block.student_view(rng, shuffle_options=shuffle_options) for block in blocks]


def revealed_block(block: Block) -> dict[str, Any]:
    """The full block with its keys and explanation, for a graded result the teacher opened."""
    return block.model_dump(mode="json")
