"""A true-or-false statement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal

from app.core.i18n import N_
from app.schemas.lms.blocks.base import (
    ANSWER,
    AnswerForm,
    BuilderForm,
    QuestionBase,
    Shown,
    form_text,
)


class TrueFalseBlock(QuestionBase):
    type: Literal["true_false"]
    label: ClassVar[str] = N_("True or false")
    correct: bool

    def grade(self, answer: object) -> Decimal:
        return self.points if isinstance(answer, bool) and answer is self.correct else Decimal(0)

    @classmethod
    def parse_answer(cls, shown: Shown, form: AnswerForm) -> Any:
        return {"true": True, "false": False}.get(form_text(form, ANSWER + shown["id"]))

    def sample_answer(self, *, right: bool) -> Any:
        return self.correct if right else not self.correct

    def to_form(self) -> dict[str, str]:
        return {**super().to_form(), "correct": "true" if self.correct else "false"}

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        return {**cls._question_form(block_id, form), "correct": form.get("correct") == "true"}

    @classmethod
    def default_form(cls) -> dict[str, str]:
        return {**super().default_form(), "correct": "true"}

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "prompt": "Сумма углов треугольника — 180°.",
        "correct": True,
    }
