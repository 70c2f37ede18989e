"""Auto-grading: pure functions from (question block, student's answer) to points.

Answers arrive as JSON and may be anything: a wrong type, unknown option ids, blanks. None of
that raises; it simply earns no points. Essays wait for the teacher (`pending`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from app.schemas.blocks import (
    QUESTION_TYPES,
    Block,
    EssayBlock,
    FillBlanksBlock,
    MatchingBlock,
    MultipleChoiceBlock,
    NumericBlock,
    OrderingBlock,
    ShortAnswerBlock,
    SingleChoiceBlock,
    TextMatching,
    TrueFalseBlock,
)

Outcome = Literal["correct", "partial", "incorrect", "unanswered", "pending"]
CENT = Decimal("0.01")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class QuestionResult:
    block_id: str
    points: Decimal
    max_points: Decimal
    outcome: Outcome

    def as_json(self) -> dict[str, Any]:
        return {
            "block_id": self.block_id,
            "points": str(self.points),
            "max_points": str(self.max_points),
            "outcome": self.outcome,
        }


def normalize_text(value: str, rules: TextMatching) -> str:
    text = unicodedata.normalize("NFC", value)
    if rules.trim:
        text = text.strip()
    if rules.collapse_spaces:
        text = _SPACES.sub(" ", text)
    if rules.yo_equals_e:
        text = text.replace("ё", "е").replace("Ё", "Е")
    if not rules.case_sensitive:
        text = text.casefold()
    return text


def text_matches(answer: object, accepted: list[str], rules: TextMatching) -> bool:
    if not isinstance(answer, str):
        return False
    given = normalize_text(answer, rules)
    return given != "" and any(given == normalize_text(option, rules) for option in accepted)


def parse_number(answer: object) -> Decimal | None:
    """A number typed by a person: `3.14`, `3,14` (the Russian decimal comma), ` -2 `."""
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int | float | Decimal):
        try:
            number = Decimal(str(answer))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    if isinstance(answer, str):
        cleaned = answer.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not cleaned or len(cleaned) > 50:
            return None
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _is_blank(answer: object) -> bool:
    """Nothing given: None, an empty or whitespace-only string, an empty list or mapping."""
    if isinstance(answer, str):
        return not answer.strip()
    return answer is None or answer == [] or answer == {}


def _fraction(block_points: Decimal, right: int, total: int, *, partial: bool) -> Decimal:
    if total <= 0:
        return Decimal(0)
    if not partial:
        return block_points if right == total else Decimal(0)
    return (block_points * Decimal(max(right, 0)) / Decimal(total)).quantize(CENT, ROUND_HALF_UP)


def _single_choice(block: SingleChoiceBlock, answer: object) -> Decimal:
    return block.points if answer == block.correct else Decimal(0)


def _multiple_choice(block: MultipleChoiceBlock, answer: object) -> Decimal:
    if not isinstance(answer, list):
        return Decimal(0)
    chosen = {item for item in answer if isinstance(item, str)}
    correct = set(block.correct)
    if block.scoring == "all_or_nothing":
        return block.points if chosen == correct else Decimal(0)
    # Each right choice earns a share, each wrong one (unknown ids included) costs one.
    right = len(chosen & correct) - len(chosen - correct)
    return _fraction(block.points, right, len(correct), partial=True)


def _true_false(block: TrueFalseBlock, answer: object) -> Decimal:
    return block.points if isinstance(answer, bool) and answer is block.correct else Decimal(0)


def _short_answer(block: ShortAnswerBlock, answer: object) -> Decimal:
    return block.points if text_matches(answer, block.accepted, block.matching) else Decimal(0)


def _numeric(block: NumericBlock, answer: object) -> Decimal:
    number = parse_number(answer)
    if number is None:
        return Decimal(0)
    return block.points if abs(number - block.value) <= block.tolerance else Decimal(0)


def _matching(block: MatchingBlock, answer: object) -> Decimal:
    if not isinstance(answer, dict):
        return Decimal(0)
    right = sum(1 for pair in block.pairs if answer.get(pair.id) == pair.right_id)
    return _fraction(block.points, right, len(block.pairs), partial=block.scoring == "partial")


def _ordering(block: OrderingBlock, answer: object) -> Decimal:
    if not isinstance(answer, list):
        return Decimal(0)
    expected = [item.id for item in block.items]
    right = sum(1 for given, wanted in zip(answer, expected, strict=False) if given == wanted)
    # Extra entries (repeated or unknown ids) make the answer longer than the list: they count
    # as places got wrong, so padding an answer never earns points.
    places = max(len(expected), len(answer))
    return _fraction(block.points, right, places, partial=block.scoring == "partial")


def _fill_blanks(block: FillBlanksBlock, answer: object) -> Decimal:
    if not isinstance(answer, dict):
        return Decimal(0)
    right = sum(
        1 for gap in block.gaps if text_matches(answer.get(gap.id), gap.accepted, gap.matching)
    )
    return _fraction(block.points, right, len(block.gaps), partial=block.scoring == "partial")


_GRADERS: dict[type, Callable[[Any, object], Decimal]] = {
    SingleChoiceBlock: _single_choice,
    MultipleChoiceBlock: _multiple_choice,
    TrueFalseBlock: _true_false,
    ShortAnswerBlock: _short_answer,
    NumericBlock: _numeric,
    MatchingBlock: _matching,
    OrderingBlock: _ordering,
    FillBlanksBlock: _fill_blanks,
}


def grade_question(block: Block, answer: object) -> QuestionResult:
    """Points for one question block; `pending` for essays, which the teacher grades."""
    assert isinstance(block, QUESTION_TYPES)
    max_points = block.points
    if isinstance(block, EssayBlock):
        outcome: Outcome = "unanswered" if _is_blank(answer) else "pending"
        return QuestionResult(block.id, Decimal(0), max_points, outcome)
    if _is_blank(answer):
        return QuestionResult(block.id, Decimal(0), max_points, "unanswered")
    points = _GRADERS[type(block)](block, answer)
    if points >= max_points:
        outcome = "correct"
    elif points > 0:
        outcome = "partial"
    else:
        outcome = "incorrect"
    return QuestionResult(block.id, points, max_points, outcome)


def grade_answers(blocks: list[Block], answers: dict[str, object]) -> list[QuestionResult]:
    """Results for every question in lesson order (answers to unknown block ids are ignored)."""
    return [
        grade_question(block, answers.get(block.id))
        for block in blocks
        if isinstance(block, QUESTION_TYPES)
    ]
