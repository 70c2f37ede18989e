"""Auto-grading: from (question block, student's answer) to points and an outcome.

Each block type grades itself (`grade` in its module under `app.schemas.lms.blocks`); this module
adds what is the same for all of them: a blank answer is `unanswered`, a question the teacher
grades (an essay) is `pending`, and the outcome follows from the points. Answers arrive as JSON
and may be anything: a wrong type, unknown option ids, blanks. None of that raises; it simply
earns no points.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from app.schemas.lms.blocks import (
    CENT,
    Block,
    QuestionBase,
    normalize_text,
    parse_number,
    text_matches,
)

__all__ = [
    "CENT",
    "Outcome",
    "QuestionResult",
    "grade_answers",
    "grade_question",
    "normalize_text",
    "parse_number",
    "text_matches",
]

Outcome = Literal["correct", "partial", "incorrect", "unanswered", "pending"]


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


def _is_blank(answer: object) -> bool:
    """Nothing given: None, an empty or whitespace-only string, an empty list or mapping."""
    if isinstance(answer, str):
        return not answer.strip()
    return answer is None or answer == [] or answer == {}


def grade_question(block: Block, answer: object) -> QuestionResult:
    """Points for one question block; `pending` for those the teacher grades (essays)."""
    assert isinstance(block, QuestionBase)
    max_points = block.points
    if _is_blank(answer):
        return QuestionResult(block.id, Decimal(0), max_points, "unanswered")
    if not block.auto_graded:
        return QuestionResult(block.id, Decimal(0), max_points, "pending")
    points = block.grade(answer)
    outcome: Outcome
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
        if isinstance(block, QuestionBase)
    ]
