"""A single-choice question: one correct option among several."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app.schemas.lms.blocks.base import (
    MAX_OPTIONS,
    AnswerForm,
    BlockId,
    BuilderForm,
    Option,
    QuestionBase,
    Shown,
    option_ids,
    shown_options,
)
from app.schemas.lms.blocks.choice import chosen_options, options_from_form, options_to_form


class SingleChoiceBlock(QuestionBase):
    type: Literal["single_choice"]
    options: Annotated[list[Option], Field(min_length=2, max_length=MAX_OPTIONS)]
    correct: BlockId

    template: ClassVar[str] = "lms/blocks/single_choice.html"

    @field_validator("correct")
    @classmethod
    def _correct_is_an_option(cls, value: str, info: ValidationInfo) -> str:
        ids = option_ids(info)
        if ids is not None and value not in ids:
            raise PydanticCustomError(
                "unknown_option", "The correct answer must be one of the options"
            )
        return value

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        options = shown_options(self.options, rng if shuffle_options else None)
        return {**self._shown(), "options": options}

    def grade(self, answer: object) -> Decimal:
        return self.points if answer == self.correct else Decimal(0)

    @classmethod
    def parse_answer(cls, shown: Shown, form: AnswerForm) -> Any:
        picked = chosen_options(shown, form)
        return picked[0] if picked else None

    def sample_answer(self, *, right: bool) -> Any:
        if right:
            return self.correct
        return next(option.id for option in self.options if option.id != self.correct)

    def to_form(self) -> dict[str, str]:
        return {**super().to_form(), "options": options_to_form(self.options, [self.correct])}

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        options, correct = options_from_form(form)
        return {
            **cls._question_form(block_id, form),
            "options": options,
            "correct": correct[0] if len(correct) == 1 else "",
        }

    @classmethod
    def example(cls, block_id: str) -> dict[str, Any]:
        return {
            "id": block_id,
            "type": "single_choice",
            "prompt": "Выберите правильную форму глагола.",
            "options": [
                {"id": "o1", "text": "go"},
                {"id": "o2", "text": "goes"},
                {"id": "o3", "text": "going"},
            ],
            "correct": "o2",
            "explanation": "Он — третье лицо: goes.",
        }
