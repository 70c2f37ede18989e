"""A short typed answer, compared with several accepted ones (trimming, letter case and the
letter ё are configurable: see `TextMatching`)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field

from app.schemas.lms.blocks.base import (
    ANSWER,
    Accepted,
    AnswerForm,
    BuilderForm,
    QuestionBase,
    Shown,
    TextMatching,
    blank_to_none,
    form_text,
    lines,
    rules_from_form,
    rules_to_form,
    text_matches,
)


class ShortAnswerBlock(QuestionBase):
    type: Literal["short_answer"]
    accepted: Accepted
    matching: TextMatching = Field(default_factory=TextMatching)

    template: ClassVar[str] = "lms/blocks/short_answer.html"

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        return self._shown()

    def grade(self, answer: object) -> Decimal:
        return self.points if text_matches(answer, self.accepted, self.matching) else Decimal(0)

    @classmethod
    def parse_answer(cls, shown: Shown, form: AnswerForm) -> Any:
        return blank_to_none(form_text(form, ANSWER + shown["id"]))

    def sample_answer(self, *, right: bool) -> Any:
        return self.accepted[0] if right else "0"

    def to_form(self) -> dict[str, str]:
        return {
            **super().to_form(),
            "accepted": "\n".join(self.accepted),
            **rules_to_form(self.matching.model_dump()),
        }

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        return {
            **cls._question_form(block_id, form),
            "accepted": lines(form.get("accepted")),
            "matching": rules_from_form(form),
        }

    @classmethod
    def example(cls, block_id: str) -> dict[str, Any]:
        return {
            "id": block_id,
            "type": "short_answer",
            "prompt": "Как будет «кошка» по-английски?",
            "accepted": ["cat", "a cat"],
        }
