"""Every LMS statement on a tenant table, built from `app.services.scoping` (the tenant condition
is written nowhere else). Private to the LMS feature: other features call its service modules.

The hot reads are built once per shape (`functools.cache`) with bind parameters and executed
with `tenant_params(actor, ...)`: a request neither rebuilds the statement nor recomputes its
cache key, and the benchmark's limit app compiles these very objects. Lists select only the
columns a summary shows (never the answers or results JSON). Every statement names
`teacher_id` explicitly (plan-time pruning to one partition of `lesson_assignments`); RLS checks
the same tenant again (run-time pruning, the second wall).

Rows loaded through here and changed as ORM objects are written back by primary key, which for
the partitioned tables starts with `teacher_id`.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Delete,
    Integer,
    Numeric,
    Select,
    String,
    Update,
    and_,
    any_,
    bindparam,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on, insert
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.core.actor import Actor
from app.models.lms import (
    AssignmentAttempt,
    AssignmentStatus,
    Folder,
    Lesson,
    LessonAssignment,
    LessonStatus,
    LessonVersion,
    StudentGroup,
    StudentGroupMember,
)
from app.models.users import Student, User
from app.services.paging import paged
from app.services.scoping import (
    same_tenant,
    tenant_condition,
    tenant_delete,
    tenant_filter,
    tenant_id,
    tenant_select,
    tenant_update,
)

OPEN = (AssignmentStatus.ASSIGNED.value, AssignmentStatus.IN_PROGRESS.value)
DONE = (AssignmentStatus.SUBMITTED.value, AssignmentStatus.GRADED.value)
BUCKETS = ("todo", "done", "overdue")

_NOW = bindparam("now", type_=DateTime(timezone=True))
_IDS = ARRAY(BigInteger())


def owned_ids(model: Any, actor: Actor, ids: Collection[int]) -> Select:
    """Which of `ids` are rows of `model` in the actor's tenant (another's look missing)."""
    return tenant_select(model, actor, col(model.id)).where(col(model.id).in_(ids))


# --- lessons


def lesson_by_id(actor: Actor, lesson_id: int, *, for_update: bool = False) -> Select:
    stmt = tenant_select(Lesson, actor).where(col(Lesson.id) == lesson_id)
    if for_update:
        # populate_existing: a lesson this session read before the lock is refreshed from the
        # locked row, so an edit starts from what is committed, not from an earlier read.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return stmt


def lesson_list(
    actor: Actor,
    *,
    status: str | None,
    search: str | None,
    tag: str | None,
    folder_id: int | None,
) -> Select:
    """The library, newest edits first; archived lessons only when asked for by status."""
    stmt = tenant_select(Lesson, actor)
    if status:
        stmt = stmt.where(col(Lesson.status) == status)
    else:
        stmt = stmt.where(col(Lesson.status) != LessonStatus.ARCHIVED.value)
    if search:
        term = search.strip()
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(
            or_(
                col(Lesson.title).ilike(f"%{escaped}%", escape="\\"),
                col(Lesson.tags).contains([term.lower()]),
            )
        )
    if tag:
        stmt = stmt.where(col(Lesson.tags).contains([tag.strip().lower()]))
    if folder_id is not None:
        stmt = stmt.where(col(Lesson.folder_id) == folder_id)
    return stmt.order_by(col(Lesson.updated_at).desc(), col(Lesson.id).desc())


def lesson_is_assigned(actor: Actor, lesson_id: int) -> Select:
    return select(
        exists().where(
            tenant_condition(LessonAssignment, actor),
            col(LessonAssignment.lesson_id) == lesson_id,
        )
    )


def delete_lesson_versions(actor: Actor, lesson_id: int) -> Delete:
    return tenant_delete(LessonVersion, actor).where(col(LessonVersion.lesson_id) == lesson_id)


def delete_lesson(actor: Actor, lesson_id: int) -> Delete:
    return tenant_delete(Lesson, actor).where(col(Lesson.id) == lesson_id)


# --- folders


def folder_by_id(actor: Actor, folder_id: int) -> Select:
    return tenant_select(Folder, actor).where(col(Folder.id) == folder_id)


def folders_by_tenant(actor: Actor) -> Select:
    return tenant_select(Folder, actor).order_by(col(Folder.name), col(Folder.id))


def folder_has_children(actor: Actor, folder_id: int) -> Select:
    return select(
        exists().where(tenant_condition(Folder, actor), col(Folder.parent_id) == folder_id)
    )


def folder_has_lessons(actor: Actor, folder_id: int) -> Select:
    return select(
        exists().where(tenant_condition(Lesson, actor), col(Lesson.folder_id) == folder_id)
    )


def delete_folder(actor: Actor, folder_id: int) -> Delete:
    return tenant_delete(Folder, actor).where(col(Folder.id) == folder_id)


# --- groups


def group_by_id(actor: Actor, group_id: int) -> Select:
    return tenant_select(StudentGroup, actor).where(col(StudentGroup.id) == group_id)


def groups_by_tenant(actor: Actor) -> Select:
    return tenant_select(StudentGroup, actor).order_by(col(StudentGroup.name), col(StudentGroup.id))


def memberships_by_tenant(actor: Actor) -> Select:
    """(group_id, student_id) of every group of the tenant, students in id order."""
    return tenant_select(
        StudentGroupMember,
        actor,
        col(StudentGroupMember.group_id),
        col(StudentGroupMember.student_id),
    ).order_by(col(StudentGroupMember.student_id))


def group_members(actor: Actor, group_id: int) -> Select:
    return (
        tenant_select(StudentGroupMember, actor, col(StudentGroupMember.student_id))
        .where(col(StudentGroupMember.group_id) == group_id)
        .order_by(col(StudentGroupMember.student_id))
    )


def detach_group_assignments(actor: Actor, group_id: int) -> Update:
    """Assignments made through the group stay with the students, without the group."""
    return (
        tenant_update(LessonAssignment, actor)
        .where(col(LessonAssignment.group_id) == group_id)
        .values(group_id=None)
    )


def delete_group_members(actor: Actor, group_id: int, student_id: int | None = None) -> Delete:
    """The group's memberships (or one student's)."""
    stmt = tenant_delete(StudentGroupMember, actor).where(
        col(StudentGroupMember.group_id) == group_id
    )
    if student_id is not None:
        stmt = stmt.where(col(StudentGroupMember.student_id) == student_id)
    return stmt


def delete_group(actor: Actor, group_id: int) -> Delete:
    return tenant_delete(StudentGroup, actor).where(col(StudentGroup.id) == group_id)


_ASSIGNMENT_TARGET_COLUMNS = (
    "teacher_id",
    "lesson_id",
    "student_id",
    "group_id",
    "lesson_version",
    "status",
    "due_at",
    "max_score",
)


def give_open_assignments(
    actor: Actor, group_id: int, student_ids: list[int], now: datetime
) -> Any:
    """Give newcomers every lesson the group was given that is still open (no due date, or due
    in the future), at the lesson's current version; what they already have is left alone."""
    given = aliased(LessonAssignment, name="a")
    lesson = aliased(Lesson, name="l")
    newcomers = (
        func.unnest(literal(student_ids, _IDS)).table_valued("student_id").render_derived(name="s")
    )
    due_at = col(given.due_at)
    rows = (
        select(
            literal(tenant_id(actor), BigInteger),
            col(given.lesson_id),
            newcomers.c.student_id,
            literal(group_id, BigInteger),
            col(lesson.version),
            literal(AssignmentStatus.ASSIGNED.value, String),
            due_at,
            col(lesson.max_score),
        )
        .ext(distinct_on(col(given.lesson_id), newcomers.c.student_id))
        .select_from(given)
        .join(lesson, and_(same_tenant(lesson, given), col(lesson.id) == col(given.lesson_id)))
        .join(newcomers, true())
        .where(
            tenant_condition(given, actor),
            col(given.group_id) == group_id,
            or_(due_at.is_(None), due_at > now),
            col(lesson.status) != LessonStatus.ARCHIVED.value,
        )
        .order_by(col(given.lesson_id), newcomers.c.student_id, due_at.desc().nulls_first())
    )
    return (
        insert(LessonAssignment)
        .from_select(list(_ASSIGNMENT_TARGET_COLUMNS), rows)
        .on_conflict_do_nothing(index_elements=["teacher_id", "lesson_id", "student_id"])
    )


# --- assigning


def assignment_targets(actor: Actor, student_ids: list[int], group_ids: list[int]) -> Any:
    """The students a lesson given to `student_ids` and `group_ids` reaches, once each: a
    student chosen directly has no group, one reached only through groups has the first group."""
    chosen = tenant_select(
        Student,
        actor,
        col(Student.id).label("student_id"),
        null().cast(BigInteger).label("group_id"),
    ).where(col(Student.id) == any_(literal(student_ids, _IDS)))
    through_groups = tenant_select(
        StudentGroupMember,
        actor,
        col(StudentGroupMember.student_id),
        col(StudentGroupMember.group_id),
    ).where(col(StudentGroupMember.group_id) == any_(literal(group_ids, _IDS)))
    targets = union_all(chosen, through_groups).cte("targets")
    return (
        select(targets.c.student_id, targets.c.group_id)
        .ext(distinct_on(targets.c.student_id))
        .order_by(targets.c.student_id, targets.c.group_id.nulls_first())
        .cte("picked")
    )


def assign_lesson(
    actor: Actor,
    *,
    lesson_id: int,
    version: int,
    max_score: Decimal,
    due_at: datetime | None,
    student_ids: list[int],
    group_ids: list[int],
) -> Select:
    """One statement for the whole batch: insert an assignment for every target that does not
    have this lesson yet. Its one row: `targets` (how many students the batch reaches) and
    `created` (the new assignments' ids, or NULL)."""
    picked = assignment_targets(actor, student_ids, group_ids)
    rows = select(
        literal(tenant_id(actor), BigInteger),
        literal(lesson_id, BigInteger),
        picked.c.student_id,
        picked.c.group_id,
        literal(version, Integer),
        literal(AssignmentStatus.ASSIGNED.value, String),
        literal(due_at, DateTime(timezone=True)),
        literal(max_score, Numeric(10, 2)),
    ).select_from(picked)
    inserted = (
        insert(LessonAssignment)
        .from_select(list(_ASSIGNMENT_TARGET_COLUMNS), rows)
        .on_conflict_do_nothing(index_elements=["teacher_id", "lesson_id", "student_id"])
        .returning(col(LessonAssignment.id))
        .cte("inserted")
    )
    return select(
        select(func.count()).select_from(picked).scalar_subquery().label("targets"),
        select(func.array_agg(inserted.c.id)).scalar_subquery().label("created"),
    )


# --- assignments

_ASSIGNMENT_COLUMNS: tuple[Any, ...] = (
    col(LessonAssignment.id),
    col(LessonAssignment.lesson_id),
    col(LessonAssignment.student_id),
    col(LessonAssignment.status),
    col(LessonAssignment.due_at),
    col(LessonAssignment.score),
    col(LessonAssignment.max_score),
    col(LessonAssignment.attempts_used),
    func.jsonb_array_length(col(LessonAssignment.blocks_viewed)).label("blocks_viewed"),
    col(LessonAssignment.time_spent_seconds),
    col(LessonAssignment.assigned_at),
    col(LessonAssignment.submitted_at),
    col(LessonAssignment.graded_at),
)
_LESSON_AND_STUDENT_COLUMNS: tuple[Any, ...] = (
    col(Lesson.title).label("lesson_title"),
    col(Lesson.attempt_limit),
    col(Lesson.block_count),
    col(User.surname),
    col(User.name),
)
_SUMMARY_COLUMNS = _ASSIGNMENT_COLUMNS + _LESSON_AND_STUDENT_COLUMNS
# What a single assignment's work needs of its lesson besides the summary (no second query).
_LESSON_SETTINGS_COLUMNS: tuple[Any, ...] = (
    col(Lesson.time_limit_minutes),
    col(Lesson.shuffle_options),
    col(Lesson.status).label("lesson_status"),
    col(Lesson.version).label("lesson_current_version"),
    col(Lesson.max_score).label("lesson_max_score"),
)


def _summary_query(*columns: Any) -> Any:
    return (
        select(*columns)
        .join(
            Lesson,
            and_(
                same_tenant(Lesson, LessonAssignment),
                col(Lesson.id) == col(LessonAssignment.lesson_id),
            ),
        )
        .join(
            Student,
            and_(
                same_tenant(Student, LessonAssignment),
                col(Student.id) == col(LessonAssignment.student_id),
            ),
        )
        .join(User, col(User.id) == col(Student.user_id))
        .where(tenant_filter(LessonAssignment))
    )


@functools.cache
def assignment_list_statement(
    bucket: str | None, by_student: bool, by_lesson: bool, by_status: bool
) -> Select:
    """One shape of the assignment list (a page, with its total); values as bind parameters:
    `teacher_id`, `now`, and `student_id` / `lesson_id` / `status` when filtered by them."""
    stmt = _summary_query(*_SUMMARY_COLUMNS)
    if by_student:
        stmt = stmt.where(col(LessonAssignment.student_id) == bindparam("student_id"))
    if by_lesson:
        stmt = stmt.where(col(LessonAssignment.lesson_id) == bindparam("lesson_id"))
    if by_status:
        stmt = stmt.where(col(LessonAssignment.status) == bindparam("status"))
    order: list[Any] = [col(LessonAssignment.assigned_at).desc(), col(LessonAssignment.id).desc()]
    if bucket == "todo":
        stmt = stmt.where(col(LessonAssignment.status).in_(OPEN))
        order = [col(LessonAssignment.due_at).asc().nulls_last(), col(LessonAssignment.id)]
    elif bucket == "done":
        stmt = stmt.where(col(LessonAssignment.status).in_(DONE))
        order = [col(LessonAssignment.submitted_at).desc(), col(LessonAssignment.id).desc()]
    elif bucket == "overdue":
        stmt = stmt.where(
            col(LessonAssignment.status).in_(OPEN), col(LessonAssignment.due_at) < _NOW
        )
        order = [col(LessonAssignment.due_at).asc(), col(LessonAssignment.id)]
    return paged(stmt.order_by(*order))


@functools.cache
def assignment_statement(for_student: bool, for_update: bool) -> Select:
    """One assignment (`teacher_id`, `assignment_id`; `student_id` for a student's own) with its
    lesson's and student's columns; `for_update` locks the assignment row."""
    columns = (LessonAssignment, *_LESSON_AND_STUDENT_COLUMNS, *_LESSON_SETTINGS_COLUMNS)
    stmt = _summary_query(*columns).where(col(LessonAssignment.id) == bindparam("assignment_id"))
    if for_student:
        stmt = stmt.where(col(LessonAssignment.student_id) == bindparam("student_id"))
    if for_update:
        stmt = stmt.with_for_update(of=LessonAssignment)
    return stmt


# The content of one lesson version (`teacher_id`, `lesson_id`, `version`).
VERSION_CONTENT = select(col(LessonVersion.content)).where(
    tenant_filter(LessonVersion),
    col(LessonVersion.lesson_id) == bindparam("lesson_id"),
    col(LessonVersion.version) == bindparam("version"),
)


def attempts_of(actor: Actor, assignment_id: int) -> Select:
    return (
        tenant_select(AssignmentAttempt, actor)
        .where(col(AssignmentAttempt.assignment_id) == assignment_id)
        .order_by(col(AssignmentAttempt.attempt_no))
    )


def attempt_for_update(actor: Actor, assignment_id: int, attempt_no: int) -> Select:
    return (
        tenant_select(AssignmentAttempt, actor)
        .where(
            col(AssignmentAttempt.assignment_id) == assignment_id,
            col(AssignmentAttempt.attempt_no) == attempt_no,
        )
        .with_for_update()
    )


# --- progress

_status = col(LessonAssignment.status)
# Each listed student's counts (`teacher_id`, `student_ids`, `now`): it reads only
# `ix_lesson_assignments_student` (status, due date and scores ride in it), in one partition.
STUDENT_PROGRESS = (
    select(
        col(LessonAssignment.student_id),
        func.count().label("assigned"),
        func.count().filter(_status.in_(DONE)).label("completed"),
        func.count()
        .filter(_status.in_(OPEN), col(LessonAssignment.due_at) < _NOW)
        .label("overdue"),
        func.avg(col(LessonAssignment.score) * 100 / col(LessonAssignment.max_score))
        .filter(and_(_status == AssignmentStatus.GRADED.value, col(LessonAssignment.max_score) > 0))
        .label("average_percent"),
    )
    .where(
        tenant_filter(LessonAssignment),
        col(LessonAssignment.student_id) == any_(bindparam("student_ids", type_=_IDS)),
    )
    .group_by(col(LessonAssignment.student_id))
)
