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
# Kept as typed ("ОГЭ" stays "ОГЭ"); a repeat in another case is the same tag.
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Id = Annotated[int, Field(gt=0, le=MAX_ID)]
LessonStatusName = Literal["draft", "published"]
# Which graded attempt counts (app.models.lms.CountedAttempt).
CountedAttemptName = Literal["best", "last", "first"]

MAX_ANSWERS_BYTES = 256 * 1024


def _dedupe(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def _dedupe_ignoring_case(values: list[str]) -> list[str]:
    first: dict[str, str] = {}
    for value in values:
        first.setdefault(value.casefold(), value)
    return list(first.values())


Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_dedupe_ignoring_case)]
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
    subfolders: bool = Field(
        default=True, description="With `folder_id`: also the lessons of its subfolders"
    )
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


class FolderNode(FolderRead):
    """A folder in the library's tree: how deep it sits (0 at the top) and what it holds."""

    depth: int
    children: list[FolderNode] = Field(default_factory=list)


# --- lessons


class LessonSettings(RequestModel):
    attempt_limit: Annotated[int, Field(ge=1, le=100)] | None = None
    time_limit_minutes: Annotated[int, Field(ge=1, le=24 * 60)] | None = None
    shuffle_options: bool = False
    counted_attempt: CountedAttemptName = Field(
        default="best",
        description="Which graded attempt counts for dashboards and progress: best, last, first",
    )


class LessonCreate(LessonSettings):
    title: Title
    subject: Name | None = None
    tags: Tags = Field(default_factory=list)
    status: LessonStatusName = "draft"
    folder_id: Id | None = None
    content: Content = Field(default_factory=list)


class LessonUpdate(RequestModel):
    """Only what is sent changes; `content` replaces the whole block list (a new version only
    once the current one was given to students). `None` clears the `CLEARABLE` settings and
    means "unchanged" for the rest."""

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
    counted_attempt: CountedAttemptName | None = None
    base_updated_at: Moment | None = Field(
        default=None,
        description=(
            "The lesson's `updated_at` this edit was based on, sent back exactly as read. If"
            " given and the lesson was saved in any way since (blocks or settings, from another"
            " tab or person), the edit is refused with 409 `stale_version` and nothing changes."
            " ISO 8601 with an offset, between 1900-01-01 and 2200-12-31. (`version` is no such"
            " token: it moves only when content changes after students were given the lesson.)"
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
    counted_attempt: str


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
    allow_past: bool = Field(
        default=False,
        description="A `due_at` that has already passed is refused (422) unless this is true",
    )
    update_due_at: bool = Field(
        default=False,
        description=(
            "Students who already have the lesson keep their due date unless this is true:"
            " then theirs becomes `due_at` too"
        ),
    )


class AssignResult(BaseModel):
    created: int
    already_assigned: int
    assignment_ids: list[int]
    due_updated: int = Field(
        default=0, description="Already assigned students whose due date became `due_at`"
    )
    due_kept: int = Field(
        default=0,
        description=(
            "Already assigned students who kept another due date (send `update_due_at`, or"
            " change it with PATCH /assignments/{id} or POST /lessons/{id}/due-date)"
        ),
    )


class DueDateChange(RequestModel):
    """A new due date for one assignment or for everyone who has a lesson; null clears it."""

    due_at: Moment | None = Field(
        description="ISO 8601 with an offset, or null for no due date",
    )
    allow_past: bool = Field(
        default=False, description="A date that has already passed is refused unless true"
    )


class DueDateChanged(BaseModel):
    updated: int
    due_at: datetime | None


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
    attempt_no: Annotated[int, Field(ge=1, le=1000)] | None = Field(
        default=None,
        description="The submitted attempt graded (points and feedback); default the latest",
    )


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
    counted_attempt: str = Field(description="The lesson's rule for which attempt counts")
    counted_attempt_no: int | None = Field(
        description="The graded attempt that counts under the lesson's rule (none graded: null)"
    )
    counted_score: Decimal | None
    counted_max_score: Decimal | None
    answered_count: int = Field(description="Questions of the current attempt answered")
    question_count: int
    blocks_viewed: int
    block_count: int
    time_spent_seconds: int
    assigned_at: datetime
    submitted_at: datetime | None
    graded_at: datetime | None


class AttemptBrief(BaseModel):
    """One submitted attempt as its student sees it in the history: the score and feedback once
    graded (`graded_at` set), whether it is the one that counts."""

    attempt_no: int
    submitted_at: datetime
    graded_at: datetime | None
    score: Decimal | None
    max_score: Decimal
    feedback: str | None
    counted: bool


class AssignmentStudentView(AssignmentSummary):
    """What a student receives: blocks without keys; results and keys only as the teacher allows."""

    history: list[AttemptBrief] = Field(
        default_factory=list,
        description=(
            "Every submitted attempt, the first first (in the GET, submit and new-attempt"
            " answers; an autosave's answer leaves it empty)"
        ),
    )

    attempt_no: int
    time_limit_minutes: int | None
    started_at: datetime | None
    blocks: list[dict[str, Any]]
    answers: dict[str, Any]
    results: list[QuestionResultRead] | None
    feedback: str | None
    revealed: list[dict[str, Any]] | None = None


class AttemptStudentView(AttemptBrief):
    """One past attempt opened by its student: the version's blocks (no keys), the answers
    given, per-question points, and the correct answers only if the teacher shows them."""

    assignment_id: int
    lesson_title: str
    blocks: list[dict[str, Any]]
    answers: dict[str, Any]
    results: list[QuestionResultRead]
    revealed: list[dict[str, Any]] | None = None


class AttemptRead(BaseModel):
    attempt_no: int
    lesson_version: int
    answers: dict[str, Any]
    results: list[QuestionResultRead]
    auto_score: Decimal
    score: Decimal | None
    max_score: Decimal
    feedback: str | None
    submitted_at: datetime
    graded_at: datetime | None
    counted: bool = False


class AssignmentTeacherView(AssignmentSummary):
    """One assignment for its teacher: `reviewed_attempt_no` is the submitted attempt whose
    version, answers, results and feedback are shown (null before any submission: the current
    answers); `attempts` lists every submitted attempt."""

    lesson_version: int
    content: list[Block]
    reviewed_attempt_no: int | None
    answers: dict[str, Any]
    results: list[QuestionResultRead] | None
    feedback: str | None
    show_correct_answers: bool
    score_overridden_by: int | None
    score_overridden_at: datetime | None
    attempts: list[AttemptRead]
