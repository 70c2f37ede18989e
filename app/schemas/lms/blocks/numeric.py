"""A number: the correct value ± a tolerance; the decimal comma is accepted."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from app.schemas.lms.blocks.base import (
    ANSWER,
    AnswerForm,
    BuilderForm,
    QuestionBase,
    Shown,
    blank_to_none,
    form_text,
    parse_number,
)


class NumericBlock(QuestionBase):
    type: Literal["numeric"]
    value: Annotated[Decimal, Field(max_digits=20, decimal_places=10)]
    tolerance: Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=10)] = Decimal(0)

    template: ClassVar[str] = "lms/blocks/numeric.html"

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        return self._shown()

    def grade(self, answer: object) -> Decimal:
        number = parse_number(answer)
        if number is None:
            return Decimal(0)
        return self.points if abs(number - self.value) <= self.tolerance else Decimal(0)

    @classmethod
    def parse_answer(cls, shown: Shown, form: AnswerForm) -> Any:
        # Kept as typed: grading reads the number (and a decimal comma) itself.
        return blank_to_none(form_text(form, ANSWER + shown["id"]))

    def sample_answer(self, *, right: bool) -> Any:
        return str(self.value) if right else "0"

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        return {
            **cls._question_form(block_id, form),
            "value": form.get("value", "").replace(",", ".").strip(),
            "tolerance": form.get("tolerance", "").replace(",", ".").strip() or "0",
        }

    @classmethod
    def example(cls, block_id: str) -> dict[str, Any]:
        return {
            "id": block_id,
            "type": "numeric",
            "prompt": "Чему равно число π до сотых?",
            "points": "2",
            "value": "3.14",
            "tolerance": "0.005",
        }
