"""A text block: Markdown, sanitised when shown."""

from __future__ import annotations

import random
from typing import Any, ClassVar, Literal

from pydantic import ValidationInfo, field_validator

from app.core.i18n import N_
from app.schemas.lms.blocks.base import (
    BlockBase,
    BuilderForm,
    LongText,
    Shown,
    is_stored,
    problem,
)


class TextBlock(BlockBase):
    type: Literal["text"]
    label: ClassVar[str] = N_("Text")
    markdown: LongText

    FORM_LABELS: ClassVar[dict[str, str]] = {"markdown": N_("Text (Markdown)")}

    @field_validator("markdown")
    @classmethod
    def _not_blank(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip() and not is_stored(info):
            raise problem("blank_text", N_("Write the text of the block, or delete the block"))
        return value

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        return {**self._shown(), "markdown": self.markdown}

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        return {"id": block_id, "type": "text", "markdown": form.get("markdown", "")}

    EXAMPLE: ClassVar[dict[str, Any]] = {"markdown": "# Урок\n\nПрочитайте **текст**."}
