"""Student groups: a teacher's named sets of students, used to assign lessons to many at once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.actor import Actor
from app.core.errors import InvalidInput, NotFound
from app.core.i18n import N_
from app.models.lms import LessonAssignment, StudentGroup, StudentGroupMember
from app.models.users import Role, Student
from app.schemas.lms import GroupCreate, GroupRead, GroupUpdate
from app.services.scoping import require_role, tenant_id


async def _check_owned(
    session: AsyncSession,
    model: type[Student] | type[StudentGroup],
    teacher_id: int,
    ids: list[int],
    *,
    message: str,
    field: str,
) -> None:
    """All `ids` must be rows of the teacher's (others' look missing): 422 naming the unknown."""
    if not ids:
        return
    rows = await session.scalars(
        select(col(model.id)).where(col(model.teacher_id) == teacher_id, col(model.id).in_(ids))
    )
    unknown = sorted(set(ids) - set(rows.all()))
    if unknown:
        raise InvalidInput(message, field=field, ids=", ".join(map(str, unknown)))


async def check_students(session: AsyncSession, teacher_id: int, student_ids: list[int]) -> None:
    await _check_owned(
        session,
        Student,
        teacher_id,
        student_ids,
        message=N_("Unknown students: {ids}"),
        field="student_ids",
    )


async def check_groups(session: AsyncSession, teacher_id: int, group_ids: list[int]) -> None:
    await _check_owned(
        session,
        StudentGroup,
        teacher_id,
        group_ids,
        message=N_("Unknown groups: {ids}"),
        field="group_ids",
    )


async def _members(session: AsyncSession, teacher_id: int, group_id: int) -> list[int]:
    rows = await session.scalars(
        select(col(StudentGroupMember.student_id))
        .where(
            col(StudentGroupMember.teacher_id) == teacher_id,
            col(StudentGroupMember.group_id) == group_id,
        )
        .order_by(col(StudentGroupMember.student_id))
    )
    return list(rows.all())


async def _get(session: AsyncSession, teacher_id: int, group_id: int) -> StudentGroup:
    group = (
        await session.scalars(
            select(StudentGroup).where(
                col(StudentGroup.teacher_id) == teacher_id, col(StudentGroup.id) == group_id
            )
        )
    ).one_or_none()
    if group is None:
        raise NotFound(N_("Group not found"))
    return group


async def _read(session: AsyncSession, group: StudentGroup) -> GroupRead:
    assert group.id is not None
    members = await _members(session, group.teacher_id, group.id)
    return GroupRead(id=group.id, name=group.name, student_ids=members)


async def list_groups(session: AsyncSession, actor: Actor) -> list[GroupRead]:
    require_role(actor, Role.TEACHER)
    teacher_id = tenant_id(actor)
    groups = (
        await session.scalars(
            select(StudentGroup)
            .where(col(StudentGroup.teacher_id) == teacher_id)
            .order_by(col(StudentGroup.name), col(StudentGroup.id))
        )
    ).all()
    members = await session.execute(
        select(col(StudentGroupMember.group_id), col(StudentGroupMember.student_id))
        .where(col(StudentGroupMember.teacher_id) == teacher_id)
        .order_by(col(StudentGroupMember.student_id))
    )
    by_group: dict[int, list[int]] = {}
    for group_id, student_id in members.all():
        by_group.setdefault(group_id, []).append(student_id)
    return [
        GroupRead(id=g.id, name=g.name, student_ids=by_group.get(g.id, []))  # type: ignore[arg-type]
        for g in groups
    ]


async def get_group(session: AsyncSession, actor: Actor, group_id: int) -> GroupRead:
    require_role(actor, Role.TEACHER)
    return await _read(session, await _get(session, tenant_id(actor), group_id))


async def create_group(session: AsyncSession, actor: Actor, data: GroupCreate) -> GroupRead:
    require_role(actor, Role.TEACHER)
    teacher_id = tenant_id(actor)
    await check_students(session, teacher_id, data.student_ids)
    group = StudentGroup(teacher_id=teacher_id, name=data.name)
    session.add(group)
    await session.flush()
    assert group.id is not None
    session.add_all(
        StudentGroupMember(teacher_id=teacher_id, group_id=group.id, student_id=student_id)
        for student_id in data.student_ids
    )
    await session.flush()
    return await _read(session, group)


async def rename_group(
    session: AsyncSession, actor: Actor, group_id: int, data: GroupUpdate
) -> GroupRead:
    require_role(actor, Role.TEACHER)
    group = await _get(session, tenant_id(actor), group_id)
    group.name = data.name
    await session.flush()
    return await _read(session, group)


async def delete_group(session: AsyncSession, actor: Actor, group_id: int) -> None:
    """Delete the group; assignments made through it stay with the students (detached)."""
    require_role(actor, Role.TEACHER)
    teacher_id = tenant_id(actor)
    group = await _get(session, teacher_id, group_id)
    await session.execute(
        update(LessonAssignment)
        .where(
            col(LessonAssignment.teacher_id) == teacher_id,
            col(LessonAssignment.group_id) == group_id,
        )
        .values(group_id=None)
    )
    await session.execute(
        delete(StudentGroupMember).where(
            col(StudentGroupMember.teacher_id) == teacher_id,
            col(StudentGroupMember.group_id) == group_id,
        )
    )
    await session.delete(group)
    await session.flush()


# A newcomer gets every lesson the group was given that is still open (no due date, or due in
# the future), at the lesson's current version; what they already have is left alone.
_GIVE_OPEN_ASSIGNMENTS = text(
    """
    INSERT INTO lesson_assignments
        (teacher_id, lesson_id, student_id, group_id, lesson_version, status, due_at, max_score)
    SELECT DISTINCT ON (a.lesson_id, s.student_id)
        :teacher_id, a.lesson_id, s.student_id, :group_id, l.version, 'assigned', a.due_at,
        l.max_score
    FROM lesson_assignments a
    JOIN lessons l ON l.teacher_id = a.teacher_id AND l.id = a.lesson_id
    CROSS JOIN unnest(CAST(:student_ids AS bigint[])) AS s(student_id)
    WHERE a.teacher_id = :teacher_id AND a.group_id = :group_id
      AND (a.due_at IS NULL OR a.due_at > :now) AND l.status <> 'archived'
    ORDER BY a.lesson_id, s.student_id, a.due_at DESC NULLS FIRST
    ON CONFLICT (teacher_id, lesson_id, student_id) DO NOTHING
    """
)


async def add_members(
    session: AsyncSession, actor: Actor, group_id: int, student_ids: list[int]
) -> GroupRead:
    """Add students; each newcomer is given the group's open assignments in the same step."""
    require_role(actor, Role.TEACHER)
    teacher_id = tenant_id(actor)
    group = await _get(session, teacher_id, group_id)
    await check_students(session, teacher_id, student_ids)
    existing = set(await _members(session, teacher_id, group_id))
    newcomers = [student_id for student_id in student_ids if student_id not in existing]
    if newcomers:
        session.add_all(
            StudentGroupMember(teacher_id=teacher_id, group_id=group_id, student_id=student_id)
            for student_id in newcomers
        )
        await session.flush()
        await session.execute(
            _GIVE_OPEN_ASSIGNMENTS,
            {
                "teacher_id": teacher_id,
                "group_id": group_id,
                "student_ids": newcomers,
                "now": datetime.now(UTC),
            },
        )
    return await _read(session, group)


async def remove_member(
    session: AsyncSession, actor: Actor, group_id: int, student_id: int
) -> GroupRead:
    """Take a student out of the group; their assignments and work stay."""
    require_role(actor, Role.TEACHER)
    teacher_id = tenant_id(actor)
    group = await _get(session, teacher_id, group_id)
    result = await session.execute(
        delete(StudentGroupMember).where(
            col(StudentGroupMember.teacher_id) == teacher_id,
            col(StudentGroupMember.group_id) == group_id,
            col(StudentGroupMember.student_id) == student_id,
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(N_("Student not found"))
    return await _read(session, group)
