"""The teaching core: folders, lessons (content as JSONB blocks, with immutable versions),
student groups, and assignments with their attempts.

`lesson_assignments` and `assignment_attempts` are hash-partitioned by `teacher_id` (16
partitions; DDL hand-written in the migration). Their primary keys start with `teacher_id`, and
every foreign key between tenant tables includes `teacher_id` (Citus co-location; and a student
of one teacher can never be linked to another teacher's lesson).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from app.models.base import TimestampMixin

PARTITIONS = 16


class LessonStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class CountedAttempt(StrEnum):
    """Which of a student's graded attempts at a lesson counts (the lesson's teacher chooses)."""

    BEST = "best"
    LAST = "last"
    FIRST = "first"


class AssignmentStatus(StrEnum):
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    GRADED = "graded"


def _identity_pk() -> Any:
    return Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True)
    )


def _tenant() -> Any:
    return Field(sa_column=Column(BigInteger, nullable=False))


def _timestamp(*, nullable: bool = True, default_now: bool = False) -> Any:
    kwargs: dict[str, Any] = {"nullable": nullable}
    if default_now:
        kwargs["server_default"] = func.now()
    return Field(default=None, sa_column=Column(DateTime(timezone=True), **kwargs))


def _jsonb(default: str) -> Any:
    return Field(
        sa_column=Column(JSONB, nullable=False, server_default=text(f"'{default}'::jsonb"))
    )


def _score(nullable: bool = True) -> Any:
    return Field(
        default=None if nullable else Decimal(0),
        sa_column=Column(
            Numeric(10, 2), nullable=nullable, server_default=None if nullable else text("0")
        ),
    )


class Folder(TimestampMixin, table=True):
    __tablename__ = "folders"
    __table_args__ = (
        UniqueConstraint("teacher_id", "id"),
        ForeignKeyConstraint(["teacher_id"], ["teachers.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(
            ["teacher_id", "parent_id"], ["folders.teacher_id", "folders.id"], ondelete="RESTRICT"
        ),
        # One name once per level, whatever its case (migration 0010; the service maps it).
        Index(
            "uq_folders_teacher_id_parent_name",
            "teacher_id",
            func.coalesce(Column("parent_id", BigInteger), 0),
            func.lower(Column("name", String(200))),
            unique=True,
        ),
    )

    id: int | None = _identity_pk()
    teacher_id: int = _tenant()
    parent_id: int | None = Field(default=None, sa_type=BigInteger)
    name: str = Field(max_length=200)


class Media(TimestampMixin, table=True):
    """An uploaded file of a teacher's (the media issue adds uploads; blocks may point here)."""

    __tablename__ = "media"
    __table_args__ = (
        UniqueConstraint("teacher_id", "id"),
        ForeignKeyConstraint(["teacher_id"], ["teachers.id"], ondelete="CASCADE"),
    )

    id: int | None = _identity_pk()
    teacher_id: int = _tenant()
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=127)
    size_bytes: int = Field(sa_type=BigInteger)
    storage_key: str = Field(max_length=512)
    status: str = Field(max_length=20)


class Lesson(TimestampMixin, table=True):
    __tablename__ = "lessons"
    __table_args__ = (
        UniqueConstraint("teacher_id", "id"),
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status_known"),
        CheckConstraint(
            "attempt_limit IS NULL OR attempt_limit > 0", name="attempt_limit_positive"
        ),
        CheckConstraint(
            "time_limit_minutes IS NULL OR time_limit_minutes > 0", name="time_limit_positive"
        ),
        CheckConstraint(
            "counted_attempt IN ('best', 'last', 'first')", name="counted_attempt_known"
        ),
        ForeignKeyConstraint(["teacher_id"], ["teachers.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(
            ["teacher_id", "folder_id"], ["folders.teacher_id", "folders.id"], ondelete="RESTRICT"
        ),
        Index("ix_lessons_teacher_id_updated_at", "teacher_id", "updated_at"),
        Index("ix_lessons_tags", "tags", postgresql_using="gin"),
    )

    id: int | None = _identity_pk()
    teacher_id: int = _tenant()
    folder_id: int | None = Field(default=None, sa_type=BigInteger)
    title: str = Field(max_length=200)
    subject: str | None = Field(default=None, max_length=100)
    tags: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(50)), nullable=False, server_default=text("'{}'")),
    )
    status: str = Field(max_length=20)
    # The current content; every change also writes an immutable `lesson_versions` row.
    version: int = Field(sa_type=Integer)
    content: list[dict[str, Any]] = _jsonb("[]")
    # len(content), kept with it: lists show progress without reading (detoasting) the content.
    block_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    # The question blocks among them: progress is questions answered out of these.
    question_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    max_score: Decimal = _score(nullable=False)
    attempt_limit: int | None = None
    counted_attempt: str = Field(
        default=CountedAttempt.BEST.value,
        sa_column=Column(String(10), nullable=False, server_default=text("'best'")),
    )
    time_limit_minutes: int | None = None
    shuffle_options: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )


class LessonVersion(SQLModel, table=True):
    """Content as it was at one version: what a student answered is graded against this."""

    __tablename__ = "lesson_versions"
    __table_args__ = (
        PrimaryKeyConstraint("teacher_id", "lesson_id", "version"),
        ForeignKeyConstraint(
            ["teacher_id", "lesson_id"], ["lessons.teacher_id", "lessons.id"], ondelete="CASCADE"
        ),
    )

    teacher_id: int = _tenant()
    lesson_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    title: str = Field(max_length=200)
    content: list[dict[str, Any]] = _jsonb("[]")
    max_score: Decimal = _score(nullable=False)
    created_at: datetime | None = _timestamp(nullable=False, default_now=True)


class StudentGroup(TimestampMixin, table=True):
    __tablename__ = "student_groups"
    __table_args__ = (
        UniqueConstraint("teacher_id", "id"),
        ForeignKeyConstraint(["teacher_id"], ["teachers.id"], ondelete="CASCADE"),
    )

    id: int | None = _identity_pk()
    teacher_id: int = _tenant()
    name: str = Field(max_length=100)


class StudentGroupMember(SQLModel, table=True):
    __tablename__ = "student_group_members"
    __table_args__ = (
        PrimaryKeyConstraint("teacher_id", "group_id", "student_id"),
        ForeignKeyConstraint(
            ["teacher_id", "group_id"],
            ["student_groups.teacher_id", "student_groups.id"],
            name="fk_student_group_members_group",
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["teacher_id", "student_id"],
            ["students.teacher_id", "students.id"],
            name="fk_student_group_members_student",
            ondelete="CASCADE",
        ),
        Index("ix_student_group_members_student", "teacher_id", "student_id"),
    )

    teacher_id: int = _tenant()
    group_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    student_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime | None = _timestamp(nullable=False, default_now=True)


class LessonAssignment(SQLModel, table=True):
    """A lesson given to a student, with their progress. Hash-partitioned by teacher_id."""

    __tablename__ = "lesson_assignments"
    __table_args__ = (
        PrimaryKeyConstraint("teacher_id", "id"),
        UniqueConstraint(
            "teacher_id", "lesson_id", "student_id", name="uq_lesson_assignments_lesson_student"
        ),
        CheckConstraint(
            "status IN ('assigned', 'in_progress', 'submitted', 'graded')", name="status_known"
        ),
        ForeignKeyConstraint(
            ["teacher_id", "lesson_id"],
            ["lessons.teacher_id", "lessons.id"],
            name="fk_lesson_assignments_lesson",
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["teacher_id", "student_id"],
            ["students.teacher_id", "students.id"],
            name="fk_lesson_assignments_student",
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["teacher_id", "lesson_id", "lesson_version"],
            ["lesson_versions.teacher_id", "lesson_versions.lesson_id", "lesson_versions.version"],
            name="fk_lesson_assignments_lesson_version",
            ondelete="RESTRICT",
        ),
        # Deleting a group first detaches its assignments (the service does it), never the work.
        ForeignKeyConstraint(
            ["teacher_id", "group_id"],
            ["student_groups.teacher_id", "student_groups.id"],
            name="fk_lesson_assignments_group",
            ondelete="RESTRICT",
        ),
        Index(
            "ix_lesson_assignments_student",
            "teacher_id",
            "student_id",
            "status",
            postgresql_include=[
                "due_at",
                "score",
                "max_score",
                "attempts_used",
                "counted_score",
                "counted_max_score",
            ],
        ),
        Index("ix_lesson_assignments_status", "teacher_id", "status", "submitted_at"),
        {"postgresql_partition_by": "HASH (teacher_id)"},
    )

    teacher_id: int = _tenant()
    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger,
            nullable=False,
            server_default=text("nextval('lesson_assignments_id_seq')"),
        ),
    )
    lesson_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    student_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The group the assignment came through (kept for display; deleting the group keeps the work).
    group_id: int | None = Field(default=None, sa_type=BigInteger)
    # The lesson version the current attempt answers; grading always uses this one.
    lesson_version: int = Field(sa_type=Integer)
    status: str = Field(max_length=20)
    due_at: datetime | None = _timestamp()
    answers: dict[str, Any] = _jsonb("{}")
    # Questions of the current attempt with a non-empty answer (kept with `answers`).
    answered_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    blocks_viewed: list[str] = _jsonb("[]")
    # The latest submitted attempt's results and score (what the player shows after submitting).
    results: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSONB))
    score: Decimal | None = _score()
    max_score: Decimal = _score(nullable=False)
    attempts_used: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    # The graded attempt that counts by the lesson's `counted_attempt` rule, and its numbers:
    # what dashboards, progress and lists show (NULL until an attempt is graded).
    counted_attempt_no: int | None = None
    counted_score: Decimal | None = _score()
    counted_max_score: Decimal | None = _score()
    time_spent_seconds: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    feedback: str | None = Field(default=None, sa_column=Column(Text))
    show_correct_answers: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    score_overridden_by: int | None = Field(default=None, sa_type=BigInteger)
    score_overridden_at: datetime | None = _timestamp()
    assigned_at: datetime | None = _timestamp(nullable=False, default_now=True)
    started_at: datetime | None = _timestamp()
    submitted_at: datetime | None = _timestamp()
    graded_at: datetime | None = _timestamp()
    updated_at: datetime | None = _timestamp(nullable=False, default_now=True)


class AssignmentAttempt(SQLModel, table=True):
    """One submitted attempt, frozen: its answers, the version it answered, and its grading."""

    __tablename__ = "assignment_attempts"
    __table_args__ = (
        PrimaryKeyConstraint("teacher_id", "id"),
        UniqueConstraint(
            "teacher_id", "assignment_id", "attempt_no", name="uq_assignment_attempts_attempt_no"
        ),
        ForeignKeyConstraint(
            ["teacher_id", "assignment_id"],
            ["lesson_assignments.teacher_id", "lesson_assignments.id"],
            name="fk_assignment_attempts_assignment",
            ondelete="CASCADE",
        ),
        {"postgresql_partition_by": "HASH (teacher_id)"},
    )

    teacher_id: int = _tenant()
    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger,
            nullable=False,
            server_default=text("nextval('assignment_attempts_id_seq')"),
        ),
    )
    assignment_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    attempt_no: int = Field(sa_type=Integer)
    lesson_version: int = Field(sa_type=Integer)
    answers: dict[str, Any] = _jsonb("{}")
    results: list[dict[str, Any]] = _jsonb("[]")
    auto_score: Decimal = _score(nullable=False)
    score: Decimal | None = _score()
    max_score: Decimal = _score(nullable=False)
    time_spent_seconds: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    # The teacher's feedback on this attempt.
    feedback: str | None = Field(default=None, sa_column=Column(Text))
    started_at: datetime | None = _timestamp()
    submitted_at: datetime | None = _timestamp(nullable=False, default_now=True)
    graded_at: datetime | None = _timestamp()


class ScoreOverride(SQLModel, table=True):
    """Who changed which score, when, from what to what (one row per change)."""

    __tablename__ = "score_overrides"
    __table_args__ = (
        ForeignKeyConstraint(
            ["teacher_id", "assignment_id"],
            ["lesson_assignments.teacher_id", "lesson_assignments.id"],
            name="fk_score_overrides_assignment",
            ondelete="CASCADE",
        ),
        Index("ix_score_overrides_assignment", "teacher_id", "assignment_id"),
    )

    id: int | None = _identity_pk()
    teacher_id: int = _tenant()
    assignment_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    attempt_no: int = Field(sa_type=Integer)
    block_id: str = Field(max_length=64)
    old_points: Decimal | None = _score()
    new_points: Decimal = _score(nullable=False)
    changed_by: int = Field(sa_type=BigInteger)
    changed_at: datetime | None = _timestamp(nullable=False, default_now=True)
