"""Matching: pairs to match. A student's answer maps each pair id (the left side) to the
`right_id` of the right side chosen for it.

In the builder each pair is a line `left -> right` (Moodle GIFT's matching arrow; `→` too), split
at the first arrow only, so `D = 0 -> один корень` keeps its `=`: maths content needs it.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from app.core.i18n import N_
from app.schemas.common import INPUT_RULES
from app.schemas.lms.blocks.base import (
    ANSWER,
    MAX_OPTIONS,
    AnswerForm,
    BlockId,
    BuilderForm,
    PartialCreditQuestion,
    ShortText,
    Shown,
    form_position,
    form_text,
    new_block_id,
    problem,
    unique_ids,
)

# The player's select values are `~<n>`, the n-th right item as shown; `~` is not a character
# of block ids (see `BlockId`), so a position never looks like an id.
RIGHT_TOKEN = "~"  # noqa: S105 - a form value prefix, not a secret
# What the builder writes between a pair's sides, and what it reads there.
SEPARATOR = " -> "
_SEPARATORS = re.compile(r"->|→")
NO_SEPARATOR = N_("Line {line} has no arrow: write the pair as left -> right")
EMPTY_SIDE = N_("Line {line} needs text on both sides of ->")


class PairLine(NamedTuple):
    """One line of the builder's pairs field as it was understood (`right` None: no arrow)."""

    line: int
    left: str
    right: str | None


def pair_lines(text: str | None) -> list[PairLine]:
    """The builder's pairs, one per line (blank lines skipped), each split at its first arrow;
    `line` counts every line of the field, as the teacher sees them."""
    understood = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = _SEPARATORS.split(line, maxsplit=1)
        right = parts[1].strip() if len(parts) == 2 else None
        understood.append(PairLine(number, parts[0].strip(), right))
    return understood


class MatchPair(BaseModel):
    model_config = INPUT_RULES

    id: BlockId = Field(default_factory=new_block_id)
    left: ShortText
    right: ShortText
    # The right side's own id: students see the right column under these, so a shared id
    # would tell them which left item each one belongs to. Random, part of the answer key.
    right_id: BlockId = Field(default_factory=new_block_id)


def right_id(right: list[dict[str, str]], value: str) -> str | None:
    """A matching select's value: `~<n>`, the n-th right item as shown, or a right item's id.

    The page sends positions because in a matching block the right item that belongs to a left
    item carries the same pair id: ids in the HTML would give the answer away."""
    if value.startswith(RIGHT_TOKEN):
        index = form_position(value.removeprefix(RIGHT_TOKEN))
        return right[index]["id"] if index is not None and 0 <= index < len(right) else None
    return value if any(item["id"] == value for item in right) else None


class MatchingBlock(PartialCreditQuestion):
    """Pairs to match; a student's answer maps each pair id (left side) to a `right_id`."""

    type: Literal["matching"]
    label: ClassVar[str] = N_("Matching")
    pairs: Annotated[list[MatchPair], Field(min_length=2, max_length=MAX_OPTIONS)]

    FORM_LABELS: ClassVar[dict[str, str]] = {"pairs": N_("Pairs")}
    FORM_MESSAGES: ClassVar[dict[tuple[str, str], str]] = {
        ("pairs", "too_short"): N_("Write at least two pairs, one per line: left -> right"),
        ("pairs", "too_long"): N_("At most 30 pairs are allowed"),
        ("pairs", "string_too_long"): N_("A side of a pair is too long: at most 1000 characters"),
        ("pairs.left", "string_too_short"): N_("Each pair needs text on both sides of ->"),
        ("pairs.right", "string_too_short"): N_("Each pair needs text on both sides of ->"),
    }

    @field_validator("pairs", mode="before")
    @classmethod
    def _lines_understood(cls, pairs: Any) -> Any:
        """Pairs from the builder carry their `line`: a line without an arrow or with an empty
        side is named by its number (then the marks are dropped)."""
        if not isinstance(pairs, list):
            return pairs
        for pair in pairs:
            if isinstance(pair, dict) and isinstance(pair.get("line"), int):
                if pair.get("right") is None:
                    raise problem("pair_separator", NO_SEPARATOR, line=pair["line"])
                if not str(pair.get("left", "")).strip() or not str(pair["right"]).strip():
                    raise problem("pair_side", EMPTY_SIDE, line=pair["line"])
        return [
            {key: value for key, value in pair.items() if key != "line"}
            if isinstance(pair, dict)
            else pair
            for pair in pairs
        ]

    @field_validator("pairs")
    @classmethod
    def _check(cls, pairs: list[MatchPair]) -> list[MatchPair]:
        left = [pair.id for pair in pairs]
        right = [pair.right_id for pair in pairs]
        unique_ids(left, "pair")
        unique_ids(right, "right side")
        if set(left) & set(right):
            raise PydanticCustomError("duplicate_id", "Left and right sides need different ids")
        return pairs

    def student_view(self, rng: random.Random, *, shuffle_options: bool) -> Shown:
        left = [{"id": pair.id, "text": pair.left} for pair in self.pairs]
        # Under their own ids (a pair's id on both sides would pair them up), and always
        # shuffled: in lesson order the right column would give the answer away too.
        right = [{"id": pair.right_id, "text": pair.right} for pair in self.pairs]
        rng.shuffle(right)
        if shuffle_options:
            rng.shuffle(left)
        return {**self._shown(), "left": left, "right": right}

    def grade(self, answer: object) -> Decimal:
        if not isinstance(answer, dict):
            return Decimal(0)
        right = sum(1 for pair in self.pairs if answer.get(pair.id) == pair.right_id)
        return self.credit(right, len(self.pairs))

    @classmethod
    def parse_answer(cls, shown: Shown, form: AnswerForm) -> Any:
        name = ANSWER + shown["id"]
        pairs = {}
        for item in shown["left"]:
            chosen = right_id(shown["right"], form_text(form, f"{name}.{item['id']}"))
            if chosen is not None:
                pairs[item["id"]] = chosen
        return pairs or None

    def sample_answer(self, *, right: bool) -> Any:
        rights = [pair.right_id for pair in self.pairs]
        shift = 0 if right else 1
        return {pair.id: rights[(i + shift) % len(rights)] for i, pair in enumerate(self.pairs)}

    def to_form(self) -> dict[str, str]:
        pairs = "\n".join(f"{pair.left}{SEPARATOR}{pair.right}" for pair in self.pairs)
        return {**super().to_form(), "pairs": pairs}

    @classmethod
    def from_form(cls, block_id: str, form: BuilderForm) -> dict[str, Any]:
        pairs = [
            {"id": f"p{number}", "left": left, "right": right, "line": line}
            for number, (line, left, right) in enumerate(pair_lines(form.get("pairs")), start=1)
        ]
        return {
            **cls._question_form(block_id, form),
            "pairs": pairs,
            "scoring": form.get("scoring", "partial"),
        }

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "prompt": "Соедините слово с переводом.",
        "points": "3",
        "pairs": [
            {"id": "p1", "left": "дом", "right": "house", "right_id": "r1"},
            {"id": "p2", "left": "кот", "right": "cat", "right_id": "r2"},
            {"id": "p3", "left": "окно", "right": "window", "right_id": "r3"},
        ],
    }
