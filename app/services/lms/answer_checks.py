"""What must hold before an attempt is submitted: each question's own check of its answer (an
essay within its word limits; `answer_problem` in each block type's module).

Pure functions over the lesson's blocks and the answers; `student_work.submit` refuses the
submission (nothing saved) with the first problem, named by its block id.
"""

from __future__ import annotations

from typing import Any

from app.core.errors import InvalidInput
from app.schemas.lms.blocks import AnswerProblem, Block, QuestionBase


def _blank(answer: object) -> bool:
    if isinstance(answer, str):
        return not answer.strip()
    return answer is None or answer in ([], {})


def submit_problems(blocks: list[Block], answers: dict[str, Any]) -> dict[str, AnswerProblem]:
    """Block id → why its answer cannot be submitted, in lesson order. A blank answer is no
    problem here: it is simply unanswered (and earns nothing)."""
    problems = {}
    for block in blocks:
        if not isinstance(block, QuestionBase):
            continue
        answer = answers.get(block.id)
        if _blank(answer):
            continue
        found = block.answer_problem(answer)
        if found is not None:
            problems[block.id] = found
    return problems


def require_submittable(blocks: list[Block], answers: dict[str, Any]) -> None:
    """Raises InvalidInput (`field`: the block id) for the first answer that cannot be
    submitted as it is."""
    for block_id, found in submit_problems(blocks, answers).items():
        raise InvalidInput(found.message, field=block_id, **found.context)
