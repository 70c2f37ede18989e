"""The lesson builder's forms: one block ⇄ plain form fields a teacher can edit without JS.

Each block type reads and writes its own fields (`from_form`, `to_form` and `default_form` in
its module under `app.schemas.lms.blocks`); the conventions: lists are written one item per
line, in choice questions a leading `*` marks a correct option, matching pairs are
`left = right`, fill-in gaps are written inline as `[[answer|variant]]`.
"""

from __future__ import annotations

from typing import Any

from app.schemas.lms.blocks import BLOCKS, Block, BlockBase, BuilderForm


def form_to_block(block_type: str, block_id: str, form: BuilderForm) -> dict[str, Any]:
    """The block dict for the schema to validate (errors are the schema's, not ours)."""
    return BLOCKS[block_type].from_form(block_id, form)


def block_to_form(block: Block) -> dict[str, str]:
    """The form fields that show a saved block for editing (the inverse of form_to_block)."""
    return block.to_form()


def default_form(block_type: str) -> dict[str, str]:
    """A fresh block's form: forgiving matching on, one point (for an unknown type too: the
    builder shows no form for it)."""
    return BLOCKS.get(block_type, BlockBase).default_form()
