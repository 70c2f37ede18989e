"""The lesson builder's forms: one block ⇄ plain form fields a teacher can edit without JS, and
a block's validation errors in the builder's words.

Each block type reads and writes its own fields (`from_form`, `to_form` and `default_form` in
its module under `app.schemas.lms.blocks`); the conventions: lists are written one item per
line, in choice questions a leading `*` marks a correct option, matching pairs are
`left -> right`, fill-in gaps are written inline as `[[answer|variant]]`.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from app.api.templating import error_message
from app.core.i18n import N_, gettext_for
from app.schemas.lms.blocks import BLOCKS, Block, BlockBase, BuilderForm

OTHER_BLOCK = N_("Block {number}: {message}")


def form_to_block(block_type: str, block_id: str, form: BuilderForm) -> dict[str, Any]:
    """The block dict for the schema to validate (errors are the schema's, not ours)."""
    return BLOCKS[block_type].from_form(block_id, form)


def block_to_form(block: Block, language: str) -> dict[str, str]:
    """The form fields that show a saved block for editing (the inverse of form_to_block), as
    a person of `language` writes them."""
    return block.form_in(language)


def default_form(block_type: str) -> dict[str, str]:
    """A fresh block's form: forgiving matching on, one point (for an unknown type too: the
    builder shows no form for it)."""
    return BLOCKS.get(block_type, BlockBase).default_form()


def _block_message(kind: type[BlockBase], where: list[Any], item: Any, language: str) -> str:
    """One error inside a block: the form field's label and what to do, in `language`."""
    names = [str(part) for part in where if isinstance(part, str)]
    numbers = [part for part in where if isinstance(part, int)]
    field = names[0] if names else ""
    message = kind.form_message(".".join(names), item["type"]) or kind.form_message(
        field, item["type"]
    )
    if message is not None:
        number = numbers[0] + 1 if numbers else ""
        text = gettext_for(language, message).format(number=number)
    else:
        text = error_message(item, language)
    label = kind.form_label(field) if field else None
    return f"{gettext_for(language, label)}: {text}" if label else text


def block_errors(error: ValidationError, index: int, language: str) -> list[str]:
    """The builder's messages for the lesson's validation errors (`index`: the block being
    saved; an error in another block says which one), each once, in `language`."""
    messages: list[str] = []
    for item in error.errors():
        location = list(item["loc"])
        position = location[0] if location and isinstance(location[0], int) else None
        kind = BLOCKS.get(str(location[1])) if len(location) > 1 else None
        if position is None or kind is None:
            text = error_message(item, language)
        else:
            text = _block_message(kind, location[2:], item, language)
            if position != index:
                text = gettext_for(language, OTHER_BLOCK).format(number=position + 1, message=text)
        if text not in messages:
            messages.append(text)
    return messages
