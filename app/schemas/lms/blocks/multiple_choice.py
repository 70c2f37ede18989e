"""A multiple-choice question: every correct option to tick, partial credit or all or nothing."""

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
    Scoring,
    Shown,
    fraction,
    option_ids,
    shown_options,
)
from app.schemas.lms.blocks.choice import chosen_options, options_from_form, options_to_form


class MultipleChoiceBlock(QuestionBase):
    type: Literal["multiple_choice"]
    options: Annotated[list[Option], Field(min_length=2, max_length=MAX_OPTIONS)]
    correct: Annotated[list[BlockId], Field(min_length=1, max_length=MAX_OPTIONS)]
    scoring: Scoring = "partial"

    template: ClassVar[str] = "lms/blocks/multiple_choice.html"

    @field_validator("correct")
    @classmethod
    def _correct_are_options(cls, value: list[str], info: ValidationInfo) -> list[str]:
        ids = option_ids(info)
        if ids is not None and (not set(value) <= ids or len(set(value)) != len(value)):
            raise PydanticCustomError(
                "unknown_option", "Correct answers must be options, each once"
            )
        return value

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        options = shown_options(self.options, rng if shuffle_options else None)
        return {**self._shown(), "options": options}

    def grade(self, answer: object) -> Decimal:
        if not isinstance(answer, list):
            return Decimal(0)
        chosen = {item for item in answer if isinstance(item, str)}
        correct = set(self.correct)
        if self.scoring == "all_or_nothing":
            return self.points if chosen == correct else Decimal(0)
        # Each right choice earns a share, each wrong one (unknown ids included) costs one.
        right = len(chosen & correct) - len(chosen - correct)
        return fraction(self.points, right, len(correct), partial=True)

    @classmethod
    def parse_answer(cls, shown: Shown, form: AnswerForm) -> Any:
        return chosen_options(shown, form) or None

    def sample_answer(self, *, right: bool) -> Any:
        if right:
            return list(self.correct)
        wrong = [option.id for option in self.options if option.id not in self.correct]
        # Every option correct: leaving one out is the wrong answer.
        return wrong[:1] or self.correct[:-1]

    def to_form(self) -> dict[str, str]:
        return {**super().to_form(), "options": options_to_form(self.options, self.correct)}

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        options, correct = options_from_form(form)
        return {
            **cls._question_form(block_id, form),
            "options": options,
            "correct": correct,
            "scoring": form.get("scoring", "partial"),
        }

    @classmethod
    def example(cls, block_id: str) -> dict[str, Any]:
        return {
            "id": block_id,
            "type": "multiple_choice",
            "prompt": "Отметьте всех животных.",
            "points": "2",
            "options": [
                {"id": "o1", "text": "кот"},
                {"id": "o2", "text": "стол"},
                {"id": "o3", "text": "попугай"},
            ],
            "correct": ["o1", "o3"],
        }
