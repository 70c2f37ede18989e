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
    CountedAttempt,
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
    subfolders: bool = False,
) -> Select:
    """The library, newest edits first; archived lessons only when asked for by status. Tags
    match whatever their case; with `subfolders` a folder shows its subfolders' lessons too."""
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
                lesson_has_tag(term),
            )
        )
    if tag:
        stmt = stmt.where(lesson_has_tag(tag.strip()))
    if folder_id is not None and subfolders:
        stmt = stmt.where(col(Lesson.folder_id).in_(folder_subtree(actor, folder_id)))
    elif folder_id is not None:
        stmt = stmt.where(col(Lesson.folder_id) == folder_id)
    return stmt.order_by(col(Lesson.updated_at).desc(), col(Lesson.id).desc())


def lesson_is_assigned(actor: Actor, lesson_id: int) -> Select:
    return select(
        exists().where(
            tenant_condition(LessonAssignment, actor),
            col(LessonAssignment.lesson_id) == lesson_id,
        )
    )


def version_is_pinned(actor: Actor, lesson_id: int, version: int) -> Select:
    """Whether an assignment (its current attempt) or a submitted attempt answers this version
    of the lesson: then the version never changes again."""
    given = tenant_condition(LessonAssignment, actor), col(LessonAssignment.lesson_id) == lesson_id
    by_assignment = exists().where(*given, col(LessonAssignment.lesson_version) == version)
    by_attempt = exists().where(
        tenant_condition(AssignmentAttempt, actor),
        col(AssignmentAttempt.lesson_version) == version,
        col(AssignmentAttempt.assignment_id).in_(select(col(LessonAssignment.id)).where(*given)),
    )
    return select(or_(by_assignment, by_attempt))


def lock_version(actor: Actor, lesson_id: int, version: int) -> Select:
    """The version row FOR UPDATE, taken before `version_is_pinned` is asked: whoever pins
    this version meanwhile (assigning, a new attempt: the foreign key check holds the row FOR
    KEY SHARE) waits for the save, or the save waits for them and then sees the pin."""
    return (
        tenant_select(LessonVersion, actor, col(LessonVersion.version))
        .where(col(LessonVersion.lesson_id) == lesson_id, col(LessonVersion.version) == version)
        .with_for_update()
    )


def rewrite_version(actor: Actor, lesson_id: int, version: int, **values: Any) -> Update:
    """Overwrite a version nobody answers yet (see `version_is_pinned`)."""
    return (
        tenant_update(LessonVersion, actor)
        .where(col(LessonVersion.lesson_id) == lesson_id, col(LessonVersion.version) == version)
        .values(**values)
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
    col(LessonAssignment.counted_attempt_no),
    col(LessonAssignment.counted_score),
    col(LessonAssignment.counted_max_score),
    col(LessonAssignment.answered_count),
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
    col(Lesson.question_count),
    col(Lesson.counted_attempt),
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


# Not submitted even once and past due (another try after the due date is not overdue work).
_OVERDUE = (
    col(LessonAssignment.status).in_(OPEN),
    col(LessonAssignment.attempts_used) == 0,
    col(LessonAssignment.due_at) < _NOW,
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
        # Anything with a submitted attempt, also while the student tries again.
        stmt = stmt.where(col(LessonAssignment.attempts_used) > 0)
        order = [col(LessonAssignment.submitted_at).desc(), col(LessonAssignment.id).desc()]
    elif bucket == "overdue":
        stmt = stmt.where(*_OVERDUE)
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


# A student's history of one assignment (`teacher_id`, `assignment_id`): the numbers only,
# never the answers or results JSON.
ATTEMPT_BRIEFS = (
    select(
        col(AssignmentAttempt.attempt_no),
        col(AssignmentAttempt.submitted_at),
        col(AssignmentAttempt.graded_at),
        col(AssignmentAttempt.score),
        col(AssignmentAttempt.max_score),
        col(AssignmentAttempt.feedback),
    )
    .where(
        tenant_filter(AssignmentAttempt),
        col(AssignmentAttempt.assignment_id) == bindparam("assignment_id"),
    )
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


def _counted_order(rule: str) -> list[Any]:
    """The order that puts the attempt counting under `rule` first (ties: the earlier one)."""
    number = col(AssignmentAttempt.attempt_no)
    if rule == CountedAttempt.LAST.value:
        return [number.desc()]
    if rule == CountedAttempt.FIRST.value:
        return [number]
    share = col(AssignmentAttempt.score) / func.nullif(col(AssignmentAttempt.max_score), 0)
    return [share.desc().nulls_last(), number]


def recount_counted(
    actor: Actor, rule: str, *, lesson_id: int | None = None, assignment_id: int | None = None
) -> Update:
    """Set `counted_*` of one assignment or of all of a lesson's to their graded attempt that
    counts under `rule` (one UPDATE ... FROM; assignments with no graded attempt keep NULL)."""
    attempt = AssignmentAttempt
    counted = (
        tenant_select(
            attempt,
            actor,
            col(attempt.assignment_id),
            col(attempt.attempt_no),
            col(attempt.score),
            col(attempt.max_score),
        )
        .ext(distinct_on(col(attempt.assignment_id)))
        .where(col(attempt.graded_at).is_not(None))
        .order_by(col(attempt.assignment_id), *_counted_order(rule))
    )
    target = tenant_update(LessonAssignment, actor)
    if assignment_id is not None:
        counted = counted.where(col(attempt.assignment_id) == assignment_id)
        target = target.where(col(LessonAssignment.id) == assignment_id)
    if lesson_id is not None:
        target = target.where(col(LessonAssignment.lesson_id) == lesson_id)
    picked = counted.subquery("counted")
    return target.where(col(LessonAssignment.id) == picked.c.assignment_id).values(
        counted_attempt_no=picked.c.attempt_no,
        counted_score=picked.c.score,
        counted_max_score=picked.c.max_score,
    )


def counted_rule_of(actor: Actor, lesson_id: int) -> Select:
    return tenant_select(Lesson, actor, col(Lesson.counted_attempt)).where(
        col(Lesson.id) == lesson_id
    )


def attempt_of(actor: Actor, assignment_id: int, attempt_no: int) -> Select:
    return tenant_select(AssignmentAttempt, actor).where(
        col(AssignmentAttempt.assignment_id) == assignment_id,
        col(AssignmentAttempt.attempt_no) == attempt_no,
    )


# --- progress

_status = col(LessonAssignment.status)
# Each listed student's counts (`teacher_id`, `student_ids`, `now`): it reads only
# `ix_lesson_assignments_student` (status, due date, attempts and the counted score ride in it),
# in one partition; the average is over each assignment's counted attempt.
STUDENT_PROGRESS = (
    select(
        col(LessonAssignment.student_id),
        func.count().label("assigned"),
        func.count().filter(col(LessonAssignment.attempts_used) > 0).label("completed"),
        func.count().filter(*_OVERDUE).label("overdue"),
        func.avg(
            col(LessonAssignment.counted_score) * 100 / col(LessonAssignment.counted_max_score)
        )
        .filter(col(LessonAssignment.counted_max_score) > 0)
        .label("average_percent"),
    )
    .where(
        tenant_filter(LessonAssignment),
        col(LessonAssignment.student_id) == any_(bindparam("student_ids", type_=_IDS)),
    )
    .group_by(col(LessonAssignment.student_id))
)


# --- folder tree, names, due dates and unassigning (issue 17)


def folder_subtree(actor: Actor, folder_id: int) -> Select:
    """The ids of `folder_id` and of every folder inside it, at any depth (a recursive CTE,
    the tenant named at every step; a cycle cannot occur, moves into the own subtree are
    refused, but `UNION` would stop one anyway)."""
    tree = (
        tenant_select(Folder, actor, col(Folder.id))
        .where(col(Folder.id) == folder_id)
        .cte("subtree", recursive=True)
    )
    child = aliased(Folder, name="child")
    tree = tree.union(
        select(col(child.id))
        .join(tree, col(child.parent_id) == tree.c.id)
        .where(tenant_condition(child, actor))
    )
    return select(tree.c.id)


def folder_name_taken(
    actor: Actor, name: str, parent_id: int | None, *, except_id: int | None = None
) -> Select:
    """Whether a folder of this name (any case) sits at this level already, the way the unique
    index `uq_folders_teacher_id_parent_name` compares."""
    level = (
        col(Folder.parent_id).is_(None) if parent_id is None else col(Folder.parent_id) == parent_id
    )
    condition = and_(
        tenant_condition(Folder, actor),
        level,
        func.lower(col(Folder.name)) == func.lower(literal(name, String)),
    )
    if except_id is not None:
        condition = and_(condition, col(Folder.id) != except_id)
    return select(exists().where(condition))


def lesson_has_tag(term: str) -> Any:
    """A lesson tag equal to `term` whatever the case. Tags are stored as typed, so this reads
    each row's array (the GIN index `ix_lessons_tags` answers exact matches only)."""
    tag = func.unnest(col(Lesson.tags)).table_valued("tag").render_derived(name="t")
    return exists(
        select(literal(1)).select_from(tag).where(func.lower(tag.c.tag) == func.lower(term))
    )


def assignment_row(actor: Actor, assignment_id: int, *, for_update: bool = False) -> Select:
    stmt = tenant_select(LessonAssignment, actor).where(col(LessonAssignment.id) == assignment_id)
    if for_update:
        stmt = stmt.with_for_update()
    return stmt


def assignment_has_attempts(actor: Actor, assignment_id: int) -> Select:
    return select(
        exists().where(
            tenant_condition(AssignmentAttempt, actor),
            col(AssignmentAttempt.assignment_id) == assignment_id,
        )
    )


def delete_assignment(actor: Actor, assignment_id: int) -> Delete:
    """Delete an assignment that holds no submitted work (the caller checked it under a lock;
    the conditions here say it again)."""
    return tenant_delete(LessonAssignment, actor).where(
        col(LessonAssignment.id) == assignment_id,
        col(LessonAssignment.status).in_(OPEN),
        ~exists().where(
            tenant_condition(AssignmentAttempt, actor),
            col(AssignmentAttempt.assignment_id) == col(LessonAssignment.id),
        ),
    )


def set_due_date(
    actor: Actor,
    due_at: datetime | None,
    *,
    lesson_id: int | None = None,
    assignment_id: int | None = None,
) -> Update:
    """Move the due date of one assignment or of every assignment of a lesson; returns the
    ids changed."""
    stmt = tenant_update(LessonAssignment, actor).values(due_at=due_at)
    if lesson_id is not None:
        stmt = stmt.where(col(LessonAssignment.lesson_id) == lesson_id)
    if assignment_id is not None:
        stmt = stmt.where(col(LessonAssignment.id) == assignment_id)
    return stmt.returning(col(LessonAssignment.id))


def already_assigned_other_due(
    actor: Actor,
    *,
    lesson_id: int,
    due_at: datetime | None,
    student_ids: list[int],
    group_ids: list[int],
    exclude_ids: list[int],
    update: bool,
) -> Any:
    """Targets of an assign batch who had the lesson before with another due date: their ids,
    and with `update` their due date set to `due_at`."""
    picked = assignment_targets(actor, student_ids, group_ids)
    condition = and_(
        tenant_condition(LessonAssignment, actor),
        col(LessonAssignment.lesson_id) == lesson_id,
        col(LessonAssignment.student_id).in_(select(picked.c.student_id)),
        col(LessonAssignment.due_at).is_distinct_from(literal(due_at, DateTime(timezone=True))),
        ~(col(LessonAssignment.id) == any_(literal(exclude_ids, _IDS))),
    )
    if update:
        return (
            tenant_update(LessonAssignment, actor)
            .where(condition)
            .values(due_at=due_at)
            .returning(col(LessonAssignment.id))
        )
    return select(col(LessonAssignment.id)).where(condition)


# --- the teacher's overview (the home page) and a student's scores over time
#
# Each statement is bounded by the bind parameter `limit` and reads through an existing index:
# the waiting and recent lists walk `ix_lesson_assignments_status` (teacher_id, status,
# submitted_at) in order and stop at `limit`; "due soon" and "falling behind" read the open
# assignments and the recently graded ones through the same index (a range per status), never
# the tenant's whole history; the scores over time come through `ix_lesson_assignments_student`
# and the attempts' (teacher_id, assignment_id, attempt_no) key.

_LIMIT = bindparam("limit", type_=Integer)
_SUBMITTED = AssignmentStatus.SUBMITTED.value
_GRADED = AssignmentStatus.GRADED.value

_counted = aliased(LessonAssignment, name="counted")
# Submissions waiting for a grade, oldest first (`teacher_id`, `limit`), each row with `total`:
# how many wait in all (no row means none wait).
OVERVIEW_WAITING = (
    _summary_query(
        *_SUMMARY_COLUMNS,
        select(func.count())
        .select_from(_counted)
        .where(tenant_filter(_counted), col(_counted.status) == _SUBMITTED)
        .scalar_subquery()
        .label("total"),
    )
    .where(col(LessonAssignment.status) == _SUBMITTED)
    .order_by(col(LessonAssignment.submitted_at), col(LessonAssignment.id))
    .limit(_LIMIT)
)

# Never submitted and due in [`now`, `until`), soonest first (`teacher_id`, `limit`).
OVERVIEW_DUE = (
    _summary_query(*_SUMMARY_COLUMNS)
    .where(
        col(LessonAssignment.status).in_(OPEN),
        col(LessonAssignment.attempts_used) == 0,
        col(LessonAssignment.due_at) >= _NOW,
        col(LessonAssignment.due_at) < bindparam("until", type_=DateTime(timezone=True)),
    )
    .order_by(col(LessonAssignment.due_at), col(LessonAssignment.id))
    .limit(_LIMIT)
)


# How many of the latest submissions the home page lists.
OVERVIEW_RECENT_SIZE = 5


def _latest_ids(status: str) -> Select:
    """The ids of the latest submissions in one status (an ordered index range, stopped early)."""
    latest = aliased(LessonAssignment, name=f"latest_{status}")
    return (
        select(col(latest.id).label("id"))
        .where(tenant_filter(latest), col(latest.status) == status)
        .order_by(col(latest.submitted_at).desc())
        .limit(OVERVIEW_RECENT_SIZE)
    )


_latest_ids_array = func.array(
    union_all(
        _latest_ids(_SUBMITTED).subquery().select(), _latest_ids(_GRADED).subquery().select()
    ).scalar_subquery()
)
# The latest `OVERVIEW_RECENT_SIZE` submissions, graded or not, newest first (`teacher_id`):
# the two statuses are read as two short ordered ranges into an array (evaluated once, so a
# long history is never sorted nor joined), then only those rows by primary key.
OVERVIEW_RECENT = (
    _summary_query(*_SUMMARY_COLUMNS)
    .where(col(LessonAssignment.id) == any_(_latest_ids_array))
    .order_by(col(LessonAssignment.submitted_at).desc(), col(LessonAssignment.id).desc())
    .limit(OVERVIEW_RECENT_SIZE)
)

_overdue_count = func.count().filter(*_OVERDUE)
_counted_percent = (
    col(LessonAssignment.counted_score) * 100 / col(LessonAssignment.counted_max_score)
)
_recent_average = func.avg(_counted_percent).filter(_status == _GRADED)
_behind = (
    select(
        col(LessonAssignment.student_id),
        _overdue_count.label("overdue"),
        _recent_average.label("average_percent"),
    )
    .where(
        tenant_filter(LessonAssignment),
        or_(
            and_(*_OVERDUE),
            and_(
                _status == _GRADED,
                col(LessonAssignment.submitted_at)
                >= bindparam("since", type_=DateTime(timezone=True)),
                col(LessonAssignment.counted_max_score) > 0,
            ),
        ),
    )
    .group_by(col(LessonAssignment.student_id))
    .having(
        or_(
            _overdue_count > 0,
            _recent_average < bindparam("low_percent", type_=Numeric(10, 2)),
        )
    )
    .subquery("behind")
)
# Active students falling behind (`teacher_id`, `now`, `since`, `low_percent`, `limit`): with
# overdue work (never submitted, past due), or a mean counted score below `low_percent` over
# the lessons graded and submitted since `since`; most overdue first, each row with `total`
# (how many students in all).
OVERVIEW_BEHIND = (
    select(
        _behind.c.student_id,
        _behind.c.overdue,
        _behind.c.average_percent,
        col(User.surname),
        col(User.name),
        func.count().over().label("total"),
    )
    .join(Student, and_(tenant_filter(Student), col(Student.id) == _behind.c.student_id))
    .join(User, col(User.id) == col(Student.user_id))
    .where(col(User.is_active))
    .order_by(
        _behind.c.overdue.desc(),
        _behind.c.average_percent.asc().nulls_last(),
        col(User.surname),
        col(User.name),
        _behind.c.student_id,
    )
    .limit(_LIMIT)
)

# One student's submitted attempts, newest first (`teacher_id`, `student_id`, `limit`): the
# scores over time on the student's page (`graded_at` NULL while an answer waits for the
# teacher; the score is then only the automatic part).
SCORE_HISTORY: Select = (
    select(
        col(AssignmentAttempt.assignment_id),
        col(AssignmentAttempt.attempt_no),
        col(AssignmentAttempt.submitted_at),
        col(AssignmentAttempt.score),
        col(AssignmentAttempt.max_score),
        col(AssignmentAttempt.graded_at),
        col(LessonAssignment.lesson_id),
        col(Lesson.title).label("lesson_title"),
    )
    .join(
        LessonAssignment,
        and_(
            tenant_filter(LessonAssignment),
            col(LessonAssignment.id) == col(AssignmentAttempt.assignment_id),
        ),
    )
    .join(
        Lesson,
        and_(
            same_tenant(Lesson, LessonAssignment),
            col(Lesson.id) == col(LessonAssignment.lesson_id),
        ),
    )
    .where(
        tenant_filter(AssignmentAttempt),
        col(LessonAssignment.student_id) == bindparam("student_id", type_=BigInteger),
    )
    .order_by(col(AssignmentAttempt.submitted_at).desc(), col(AssignmentAttempt.id).desc())
    .limit(_LIMIT)
)
