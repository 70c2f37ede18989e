"""A short typed answer, compared with several accepted ones (trimming, letter case and the
letter ё are configurable: see `TextMatching`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field

from app.core.i18n import N_
from app.schemas.lms.blocks.base import (
    Accepted,
    BuilderForm,
    QuestionBase,
    TextMatching,
    lines,
    rules_from_form,
    rules_to_form,
    text_matches,
)


class ShortAnswerBlock(QuestionBase):
    type: Literal["short_answer"]
    label: ClassVar[str] = N_("Short answer")
    accepted: Accepted
    matching: TextMatching = Field(default_factory=TextMatching)

    FORM_LABELS: ClassVar[dict[str, str]] = {"accepted": N_("Accepted answers")}
    FORM_MESSAGES: ClassVar[dict[tuple[str, str], str]] = {
        ("accepted", "too_short"): N_("Write at least one accepted answer, one per line"),
        ("accepted", "too_long"): N_("At most 50 accepted answers are allowed"),
        ("accepted", "string_too_long"): N_("An answer is too long: at most 500 characters"),
    }

    def grade(self, answer: object) -> Decimal:
        return self.points if text_matches(answer, self.accepted, self.matching) else Decimal(0)

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

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "prompt": "Как будет «кошка» по-английски?",
        "accepted": ["cat", "a cat"],
    }
