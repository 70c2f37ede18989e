"""Fill in the blanks: a cloze text where `[[gap-id]]` marks each gap; every gap has accepted
answers. In the builder the gaps are written inline as `[[answer|variant]]`."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from app.core.i18n import N_
from app.schemas.common import INPUT_RULES
from app.schemas.lms.blocks.base import (
    ANSWER,
    Accepted,
    AnswerForm,
    BlockId,
    BuilderForm,
    LongText,
    PartialCreditQuestion,
    Shown,
    TextMatching,
    form_text,
    problem,
    rules_from_form,
    rules_to_form,
    text_matches,
    unique_ids,
)

GAP_MARKER = re.compile(r"\[\[([A-Za-z0-9_-]{1,64})\]\]")
_INLINE_GAP = re.compile(r"\[\[([^\[\]]+)\]\]")


def gap_pieces(text: str) -> list[tuple[str, str | None]]:
    """A fill-in-the-blanks text as (text, None) and ("", gap id) pieces, in order.

    The template escapes each text piece and puts an input (or the answer) at each gap; the
    markers would not survive a Markdown renderer."""
    parts = GAP_MARKER.split(text)
    pieces: list[tuple[str, str | None]] = []
    for index, part in enumerate(parts):
        if index % 2:
            pieces.append(("", part))
        elif part:
            pieces.append((part, None))
    return pieces


class Gap(BaseModel):
    model_config = INPUT_RULES

    id: BlockId
    accepted: Accepted
    matching: TextMatching = Field(default_factory=TextMatching)


class FillBlanksBlock(PartialCreditQuestion):
    """Cloze text: `[[gap-id]]` marks each gap in `text`; every gap has accepted answers."""

    type: Literal["fill_blanks"]
    label: ClassVar[str] = N_("Fill in the blanks")
    text: LongText
    gaps: Annotated[list[Gap], Field(min_length=1, max_length=100)]

    FORM_LABELS: ClassVar[dict[str, str]] = {
        "text": N_("Text with gaps"),
        "gaps": N_("Text with gaps"),
    }
    FORM_MESSAGES: ClassVar[dict[tuple[str, str], str]] = {
        ("gaps", "too_short"): N_(
            "Add at least one gap: the answer in double square brackets, like [[answer]]"
        ),
        ("gaps", "too_long"): N_("At most 100 gaps are allowed"),
        ("gaps", "string_too_long"): N_("An answer is too long: at most 500 characters"),
        ("gaps.accepted", "too_short"): N_(
            "Gap {number} is empty: write its answer inside the brackets, like [[answer]]"
        ),
    }

    @field_validator("gaps")
    @classmethod
    def _gaps_match_text(cls, gaps: list[Gap], info: ValidationInfo) -> list[Gap]:
        ids = [gap.id for gap in gaps]
        unique_ids(ids, "gap")
        text = info.data.get("text")
        if text is not None and sorted(GAP_MARKER.findall(text)) != sorted(ids):
            raise problem(
                "gaps_mismatch", N_("Every [[gap]] in the text needs exactly one gap definition")
            )
        return gaps

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        return {**self._shown(), "text": self.text, "gaps": [{"id": gap.id} for gap in self.gaps]}

    def grade(self, answer: object) -> Decimal:
        if not isinstance(answer, dict):
            return Decimal(0)
        right = sum(
            1 for gap in self.gaps if text_matches(answer.get(gap.id), gap.accepted, gap.matching)
        )
        return self.credit(right, len(self.gaps))

    @classmethod
    def parse_answer(cls, shown: Shown, form: AnswerForm) -> Any:
        name = ANSWER + shown["id"]
        typed = {gap["id"]: form_text(form, f"{name}.{gap['id']}") for gap in shown["gaps"]}
        return {gap_id: text for gap_id, text in typed.items() if text.strip()} or None

    def sample_answer(self, *, right: bool) -> Any:
        return {gap.id: gap.accepted[0] if right else "не знаю" for gap in self.gaps}

    def to_form(self) -> dict[str, str]:
        accepted = {gap.id: "|".join(gap.accepted) for gap in self.gaps}
        text = GAP_MARKER.sub(lambda m: f"[[{accepted.get(m.group(1), '')}]]", self.text)
        # One set of matching rules for the whole text: the builder writes them to every gap.
        return {
            **super().to_form(),
            "text": text,
            **rules_to_form(self.gaps[0].matching.model_dump()),
        }

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        gaps: list[dict[str, Any]] = []
        rules = rules_from_form(form)

        def to_marker(match: re.Match[str]) -> str:
            gap_id = f"g{len(gaps) + 1}"
            accepted = [part.strip() for part in match.group(1).split("|") if part.strip()]
            gaps.append({"id": gap_id, "accepted": accepted, "matching": rules})
            return f"[[{gap_id}]]"

        text = _INLINE_GAP.sub(to_marker, form.get("text", ""))
        return {
            **cls._question_form(block_id, form),
            "text": text,
            "gaps": gaps,
            "scoring": form.get("scoring", "partial"),
        }

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "prompt": "Вставьте пропущенные слова.",
        "points": "2",
        "text": "Я [[g1]] в школу каждый день, а по субботам мы [[g2]] в парк.",
        "gaps": [
            {"id": "g1", "accepted": ["хожу"]},
            {"id": "g2", "accepted": ["ходим", "идём"]},
        ],
    }
