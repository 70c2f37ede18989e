"""A single-choice question: one correct option among several."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import ValidationInfo, field_validator

from app.core.i18n import N_
from app.schemas.lms.blocks.base import (
    AnswerForm,
    BlockId,
    BuilderForm,
    Shown,
    option_ids,
    problem,
)
from app.schemas.lms.blocks.choice import ChoiceQuestion, chosen_options, options_from_form


class SingleChoiceBlock(ChoiceQuestion):
    type: Literal["single_choice"]
    label: ClassVar[str] = N_("Single choice")
    correct: BlockId

    FORM_MESSAGES: ClassVar[dict[tuple[str, str], str]] = {
        ("correct", "*"): N_("Mark the one correct option with * at the start of its line"),
    }

    @field_validator("correct")
    @classmethod
    def _correct_is_an_option(cls, value: str, info: ValidationInfo) -> str:
        ids = option_ids(info)
        if ids is not None and value not in ids:
            raise problem(
                "unknown_option", N_("Mark the one correct option with * at the start of its line")
            )
        return value

    def correct_ids(self) -> list[str]:
        return [self.correct]

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

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        options, correct = options_from_form(form)
        return {
            **cls._question_form(block_id, form),
            "options": options,
            "correct": correct[0] if len(correct) == 1 else "",
        }

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "prompt": "Выберите правильную форму глагола.",
        "options": [
            {"id": "o1", "text": "go"},
            {"id": "o2", "text": "goes"},
            {"id": "o3", "text": "going"},
        ],
        "correct": "o2",
        "explanation": "Он — третье лицо: goes.",
    }
