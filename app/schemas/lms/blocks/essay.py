"""An essay: a free text the teacher grades (`pending` until then), within the word limits the
teacher set (checked on submit: `answer_problem`; the player counts as the student types)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, model_validator

from app.core.i18n import N_
from app.schemas.lms.blocks.base import (
    AnswerProblem,
    BuilderForm,
    QuestionBase,
    Shown,
    is_stored,
    problem,
)

SAMPLE_ESSAY = " ".join(["Летом я ездил к бабушке в деревню и купался в реке."] * 8)
SHORT_ESSAY = "Не успел написать, допишу позже."
MAX_WORDS = 10_000
TOO_SHORT = N_("Your essay has {count} words: write at least {min}")
TOO_LONG = N_("Your essay has {count} words: shorten it to at most {max}")
WORD_LIMIT = N_("Enter a whole number of words from 0 to 10000, or leave the field empty")


def count_words(text: str) -> int:
    """Words as a person counts them: whitespace-separated pieces with a letter or a digit
    (a lone dash is no word). `app/static/word_count.js` counts the same way."""
    return sum(1 for token in text.split() if any(char.isalnum() for char in token))


class EssayBlock(QuestionBase):
    type: Literal["essay"]
    label: ClassVar[str] = N_("Essay")
    min_words: Annotated[int, Field(ge=0, le=MAX_WORDS)] | None = None
    max_words: Annotated[int, Field(ge=1, le=MAX_WORDS)] | None = None

    auto_graded: ClassVar[bool] = False
    FORM_LABELS: ClassVar[dict[str, str]] = {
        "min_words": N_("Minimum words"),
        "max_words": N_("Maximum words"),
    }
    FORM_MESSAGES: ClassVar[dict[tuple[str, str], str]] = {
        ("min_words", "*"): WORD_LIMIT,
        ("max_words", "*"): WORD_LIMIT,
    }

    @model_validator(mode="after")
    def _limits_in_order(self, info: ValidationInfo) -> EssayBlock:
        if (
            not is_stored(info)
            and self.min_words is not None
            and self.max_words is not None
            and self.min_words > self.max_words
        ):
            raise problem(
                "word_limits",
                N_("The minimum number of words ({min}) is more than the maximum ({max})"),
                min=self.min_words,
                max=self.max_words,
            )
        return self

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        return {**self._shown(), "min_words": self.min_words, "max_words": self.max_words}

    def grade(self, answer: object) -> Decimal:
        return Decimal(0)  # not auto-graded: the teacher gives the points

    def answer_problem(self, answer: object) -> AnswerProblem | None:
        count = count_words(answer) if isinstance(answer, str) else 0
        if self.min_words is not None and count < self.min_words:
            return AnswerProblem(TOO_SHORT, {"count": count, "min": self.min_words})
        if self.max_words is not None and count > self.max_words:
            return AnswerProblem(TOO_LONG, {"count": count, "max": self.max_words})
        return None

    def sample_answer(self, *, right: bool) -> Any:
        """A text within the word limits (repeated or cut to fit): essays are submittable."""
        words = (SAMPLE_ESSAY if right else SHORT_ESSAY).split()
        wanted = max(len(words), self.min_words or 0)
        wanted = min(wanted, self.max_words or wanted)
        return " ".join(words[index % len(words)] for index in range(wanted))

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
