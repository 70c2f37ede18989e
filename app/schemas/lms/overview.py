"""What the teacher's home shows (and `GET /api/v1/teacher/overview` returns), and a student's
scores over time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from app.schemas.lms import AssignmentSummary, PersonBrief


class StudentBehind(BaseModel):
    """A student who needs a word: overdue work or low recent scores."""

    student: PersonBrief
    overdue: int = Field(description="Assignments past their due date and never submitted")
    average_percent: Decimal | None = Field(
        description="Mean counted score of the lessons graded in the score window, percent"
    )


class TeacherOverview(BaseModel):
    """What needs doing, each list short (a link leads to the whole of it)."""

    waiting: list[AssignmentSummary] = Field(description="Waiting for a grade, oldest first")
    waiting_total: int
    due_soon: list[AssignmentSummary] = Field(
        description="Never submitted, due from now until `due_until`, soonest first"
    )
    due_until: datetime = Field(
        description="The end of the seventh day, today included, in the teacher's time zone"
    )
    recent: list[AssignmentSummary] = Field(description="The latest submissions, newest first")
    behind: list[StudentBehind] = Field(
        description=(
            "Active students with overdue work, or whose mean counted score over the lessons"
            " graded since `scores_since` is below `low_score_percent`; most overdue first"
        )
    )
    behind_total: int
    scores_since: datetime
    low_score_percent: Decimal


class ScorePoint(BaseModel):
    """One submitted attempt of a student's, as the scores over time list it."""

    assignment_id: int
    lesson_id: int
    lesson_title: str
    attempt_no: int
    submitted_at: datetime
    graded: bool = Field(description="False while an answer waits for the teacher")
    score: Decimal | None = Field(description="Until graded, only the automatic points")
    max_score: Decimal
    percent: Decimal | None = Field(description="Of the maximum, once graded")
