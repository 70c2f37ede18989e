"""A multiple-choice question: every correct option to tick, partial credit or all or nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from app.core.i18n import N_
from app.schemas.lms.blocks.base import (
    MAX_OPTIONS,
    AnswerForm,
    BlockId,
    BuilderForm,
    PartialCreditQuestion,
    Shown,
    option_ids,
    problem,
)
from app.schemas.lms.blocks.choice import ChoiceQuestion, chosen_options, options_from_form


class MultipleChoiceBlock(ChoiceQuestion, PartialCreditQuestion):
    type: Literal["multiple_choice"]
    label: ClassVar[str] = N_("Multiple choice")
    correct: Annotated[list[BlockId], Field(min_length=1, max_length=MAX_OPTIONS)]

    FORM_MESSAGES: ClassVar[dict[tuple[str, str], str]] = {
        ("correct", "*"): N_("Mark each correct option with * at the start of its line"),
    }

    @field_validator("correct")
    @classmethod
    def _correct_are_options(cls, value: list[str], info: ValidationInfo) -> list[str]:
        ids = option_ids(info)
        if ids is not None and (not set(value) <= ids or len(set(value)) != len(value)):
            raise problem(
                "unknown_option", N_("Mark each correct option with * at the start of its line")
            )
        return value

    def correct_ids(self) -> list[str]:
        return list(self.correct)

    def grade(self, answer: object) -> Decimal:
        if not isinstance(answer, list):
            return Decimal(0)
        chosen = {item for item in answer if isinstance(item, str)}
        correct = set(self.correct)
        # Each right choice earns a share, each wrong one (unknown ids included) costs one; so
        # only exactly the correct set counts as all right.
        right = len(chosen & correct) - len(chosen - correct)
        return self.credit(right, len(correct))

    @classmethod
    def parse_answer(cls, shown: Shown, form: AnswerForm) -> Any:
        return chosen_options(shown, form) or None

    def sample_answer(self, *, right: bool) -> Any:
        if right:
            return list(self.correct)
        wrong = [option.id for option in self.options if option.id not in self.correct]
        # Every option correct: leaving one out is the wrong answer.
        return wrong[:1] or self.correct[:-1]

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        options, correct = options_from_form(form)
        return {
            **cls._question_form(block_id, form),
            "options": options,
            "correct": correct,
            "scoring": form.get("scoring", "partial"),
        }

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "prompt": "Отметьте всех животных.",
        "points": "2",
        "options": [
            {"id": "o1", "text": "кот"},
            {"id": "o2", "text": "стол"},
            {"id": "o3", "text": "попугай"},
        ],
        "correct": ["o1", "o3"],
    }
