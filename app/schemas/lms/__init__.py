"""Request and response bodies for lessons, folders, groups and assignments."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from app.models.lms import LessonStatus
from app.schemas.common import MAX_ID, CleanText, Moment, RequestModel
from app.schemas.lms.blocks import Block, Content

# `CleanText` too: a title is also a bare body parameter (duplicating a lesson), outside a model.
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), CleanText
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=50)
]
Id = Annotated[int, Field(gt=0, le=MAX_ID)]
LessonStatusName = Literal["draft", "published"]

MAX_ANSWERS_BYTES = 256 * 1024


def _dedupe(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_dedupe)]
Ids = Annotated[list[Id], Field(max_length=500), AfterValidator(_dedupe)]


class AssignmentBucket(StrEnum):
    """How a student's own list is split: not submitted yet, overdue, submitted or graded."""

    TODO = "todo"
    OVERDUE = "overdue"
    DONE = "done"


class LessonFilters(RequestModel):
    """The library's filters: query parameters of the JSON list and of the library page."""

    # The page's other query parameters (`offset`) arrive in the same mapping.
    model_config = ConfigDict(extra="ignore")

    q: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        default=None, description="Title or tag"
    )
    tag: Annotated[str, StringConstraints(max_length=50)] | None = None
    folder_id: Id | None = None
    status: LessonStatus | None = Field(
        default=None, description="Only this status (archived lessons only when asked for)"
    )


# --- folders


class FolderCreate(RequestModel):
    name: Title
    parent_id: Id | None = None


class FolderUpdate(RequestModel):
    name: Title | None = None
    parent_id: Id | None = None


class FolderRead(BaseModel):
    id: int
    name: str
    parent_id: int | None


# --- lessons


class LessonSettings(RequestModel):
    attempt_limit: Annotated[int, Field(ge=1, le=100)] | None = None
    time_limit_minutes: Annotated[int, Field(ge=1, le=24 * 60)] | None = None
    shuffle_options: bool = False


class LessonCreate(LessonSettings):
    title: Title
    subject: Name | None = None
    tags: Tags = Field(default_factory=list)
    status: LessonStatusName = "draft"
    folder_id: Id | None = None
    content: Content = Field(default_factory=list)


class LessonUpdate(RequestModel):
    """Only what is sent changes; `content` replaces the whole block list (a new version).
    `None` clears the `CLEARABLE` settings and means "unchanged" for the rest."""

    CLEARABLE: ClassVar[frozenset[str]] = frozenset(
        {"subject", "folder_id", "attempt_limit", "time_limit_minutes"}
    )

    title: Title | None = None
    subject: Name | None = None
    tags: Tags | None = None
    status: LessonStatusName | None = None
    folder_id: Id | None = None
    content: Content | None = None
    attempt_limit: Annotated[int, Field(ge=1, le=100)] | None = None
    time_limit_minutes: Annotated[int, Field(ge=1, le=24 * 60)] | None = None
    shuffle_options: bool | None = None
    base_version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(
        default=None,
        description=(
            "The lesson `version` this edit was based on. If given and the lesson's content has"
            " changed since (another tab or person saved new blocks), the edit is refused with"
            " 409 `stale_version` and nothing changes. `version` moves with content changes"
            " only; to guard the settings too, send `base_updated_at`."
        ),
    )
    base_updated_at: Moment | None = Field(
        default=None,
        description=(
            "The lesson's `updated_at` this edit was based on, sent back exactly as read. If"
            " given and the lesson was edited in any way since, 409 `stale_version`. ISO 8601"
            " with an offset, between 1900-01-01 and 2200-12-31."
        ),
    )


class LessonSummary(BaseModel):
    id: int
    title: str
    subject: str | None
    tags: list[str]
    status: str
    folder_id: int | None
    version: int
    max_score: Decimal
    question_count: int
    created_at: datetime
    updated_at: datetime


class LessonRead(LessonSummary):
    """The teacher's full view, answer keys included."""

    content: list[Block]
    attempt_limit: int | None
    time_limit_minutes: int | None
    shuffle_options: bool


# --- groups


class GroupCreate(RequestModel):
    name: Name
    student_ids: Ids = Field(default_factory=list)


class GroupUpdate(RequestModel):
    name: Name


class GroupMembers(RequestModel):
    student_ids: Annotated[Ids, Field(min_length=1)]


class GroupRead(BaseModel):
    id: int
    name: str
    student_ids: list[int]


# --- assignments


class AssignRequest(RequestModel):
    """Assign one lesson to students and/or groups (all of them in one statement)."""

    lesson_id: Id
    student_ids: Ids = Field(default_factory=list)
    group_ids: Annotated[list[Id], Field(max_length=50), AfterValidator(_dedupe)] = Field(
        default_factory=list
    )
    due_at: Moment | None = Field(
        default=None,
        description=(
            "When the lesson is due: ISO 8601 with an offset (`Z`, `+03:00`), the date as"
            " written between 1900-01-01 and 2200-12-31. A time without an offset is refused:"
            " it would mean a different moment in every time zone."
        ),
    )


class AssignResult(BaseModel):
    created: int
    already_assigned: int
    assignment_ids: list[int]


def _limit_answers(value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_ANSWERS_BYTES:
        raise PydanticCustomError("too_large", "Answers are too large (256 KB at most)")
    return value


BlockKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Answers = Annotated[dict[BlockKey, Any], Field(max_length=200), AfterValidator(_limit_answers)]


class SaveProgress(RequestModel):
    """Autosave from the lesson player: the answers so far, blocks seen, time since last save."""

    answers: Answers | None = None
    blocks_viewed: Annotated[list[BlockKey], Field(max_length=200)] | None = None
    time_spent_seconds: Annotated[int, Field(ge=0, le=3600)] = 0


class SubmitRequest(RequestModel):
    """Submit the current attempt. `attempt_no` makes retries safe: submitting an attempt that
    is already submitted returns its result instead of counting it twice."""

    answers: Answers | None = None
    attempt_no: Annotated[int, Field(ge=1, le=1000)] | None = None
    time_spent_seconds: Annotated[int, Field(ge=0, le=3600)] = 0


class GradeRequest(RequestModel):
    """The teacher's grading: points per question (overrides), feedback, what the student sees."""

    scores: Annotated[
        dict[BlockKey, Annotated[Decimal, Field(ge=0, le=1000)]], Field(max_length=200)
    ] = Field(default_factory=dict)
    feedback: Annotated[str, StringConstraints(max_length=20_000)] | None = None
    show_correct_answers: bool | None = None


class QuestionResultRead(BaseModel):
    block_id: str
    points: Decimal
    max_points: Decimal
    outcome: str
    overridden_by: int | None = None
    overridden_at: datetime | None = None


class PersonBrief(BaseModel):
    """Enough of a person to show them (pages render it through the `person_name` macro)."""

    id: int
    name: str
    surname: str


class AssignmentSummary(BaseModel):
    id: int
    lesson_id: int
    lesson_title: str
    student_id: int
    student_name: str
    student: PersonBrief
    status: str
    due_at: datetime | None
    overdue: bool
    score: Decimal | None
    max_score: Decimal
    attempts_used: int
    attempt_limit: int | None
    blocks_viewed: int
    block_count: int
    time_spent_seconds: int
    assigned_at: datetime
    submitted_at: datetime | None
    graded_at: datetime | None


class AssignmentStudentView(AssignmentSummary):
    """What a student receives: blocks without keys; results and keys only as the teacher allows."""

    attempt_no: int
    time_limit_minutes: int | None
    started_at: datetime | None
    blocks: list[dict[str, Any]]
    answers: dict[str, Any]
    results: list[QuestionResultRead] | None
    feedback: str | None
    revealed: list[dict[str, Any]] | None = None


class AttemptRead(BaseModel):
    attempt_no: int
    lesson_version: int
    answers: dict[str, Any]
    results: list[QuestionResultRead]
    auto_score: Decimal
    score: Decimal | None
    max_score: Decimal
    submitted_at: datetime
    graded_at: datetime | None


class AssignmentTeacherView(AssignmentSummary):
    lesson_version: int
    content: list[Block]
    answers: dict[str, Any]
    results: list[QuestionResultRead] | None
    feedback: str | None
    show_correct_answers: bool
    score_overridden_by: int | None
    score_overridden_at: datetime | None
    attempts: list[AttemptRead]
