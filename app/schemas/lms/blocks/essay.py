"""An essay: a free text the teacher grades (`pending` until then)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from app.core.i18n import N_
from app.schemas.lms.blocks.base import (
    BuilderForm,
    QuestionBase,
    Shown,
)

SAMPLE_ESSAY = " ".join(["Летом я ездил к бабушке в деревню и купался в реке."] * 8)


class EssayBlock(QuestionBase):
    type: Literal["essay"]
    label: ClassVar[str] = N_("Essay")
    min_words: Annotated[int, Field(ge=0, le=10_000)] | None = None
    max_words: Annotated[int, Field(ge=1, le=10_000)] | None = None

    auto_graded: ClassVar[bool] = False

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        return {**self._shown(), "min_words": self.min_words, "max_words": self.max_words}

    def grade(self, answer: object) -> Decimal:
        return Decimal(0)  # not auto-graded: the teacher gives the points

    def sample_answer(self, *, right: bool) -> Any:
        return SAMPLE_ESSAY if right else "Не успел написать, допишу позже."

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        block = cls._question_form(block_id, form)
        for field in ("min_words", "max_words"):
            if form.get(field, "").strip():
                block[field] = form[field].strip()
        return block

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "prompt": "Напишите короткое эссе (50–150 слов) о своих летних каникулах.",
        "points": "5",
        "min_words": 50,
        "max_words": 150,
    }
