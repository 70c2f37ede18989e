"""What the two choice questions share: options written one per line in the builder, a leading
`*` marking a correct one, and the chosen option ids read from the player's form."""

from __future__ import annotations

import random
from abc import abstractmethod
from typing import Annotated, ClassVar

from pydantic import Field

from app.core.i18n import N_
from app.schemas.lms.blocks.base import (
    ANSWER,
    MAX_OPTIONS,
    AnswerForm,
    BuilderForm,
    Option,
    QuestionBase,
    Shown,
    lines,
    shown_options,
)

CORRECT_MARK = "*"


def options_to_form(options: list[Option], correct: list[str]) -> str:
    return "\n".join(
        (CORRECT_MARK if option.id in correct else "") + option.text for option in options
    )


def options_from_form(form: BuilderForm) -> tuple[list[dict[str, str]], list[str]]:
    """The options (numbered `o1`, `o2`, ...) and the ids of those marked correct."""
    options, correct = [], []
    for number, line in enumerate(lines(form.get("options")), start=1):
        option_id = f"o{number}"
        if line.startswith(CORRECT_MARK):
            correct.append(option_id)
            line = line[len(CORRECT_MARK) :].strip()
        options.append({"id": option_id, "text": line})
    return options, correct


def chosen_options(shown: Shown, form: AnswerForm) -> list[str]:
    """The ticked options that the page showed, in the order it showed them."""
    chosen = {value for value in form.getlist(ANSWER + shown["id"]) if isinstance(value, str)}
    return [option["id"] for option in shown["options"] if option["id"] in chosen]


class ChoiceQuestion(QuestionBase):
    """A question answered by ticking options: students see the options (shuffled when the
    lesson says so), never which are correct."""

    options: Annotated[list[Option], Field(min_length=2, max_length=MAX_OPTIONS)]

    FORM_LABELS: ClassVar[dict[str, str]] = {"options": N_("Options"), "correct": N_("Options")}
    FORM_MESSAGES: ClassVar[dict[tuple[str, str], str]] = {
        ("options", "too_short"): N_("Write at least two options, one per line"),
        ("options", "too_long"): N_("At most 30 options are allowed"),
        ("options", "string_too_short"): N_("An option line is empty: write its text"),
        ("options", "string_too_long"): N_("An option is too long: at most 1000 characters"),
    }

    @abstractmethod
    def correct_ids(self) -> list[str]:
        """The ids of the correct options."""

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        options = shown_options(self.options, rng if shuffle_options else None)
        return {**self._shown(), "options": options}

    def to_form(self) -> dict[str, str]:
        return {**super().to_form(), "options": options_to_form(self.options, self.correct_ids())}
