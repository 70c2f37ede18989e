"""Student groups: a teacher's named sets of students, used to assign lessons to many at once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.clock import now_utc
from app.core.errors import InvalidInput, NotFound
from app.core.i18n import N_
from app.models.lms import StudentGroup, StudentGroupMember
from app.models.users import Role, Student
from app.schemas.lms import GroupCreate, GroupRead, GroupUpdate
from app.services.lms import repository
from app.services.scoping import require_role, tenant_id


async def _check_owned(
    session: AsyncSession,
    model: type[Student] | type[StudentGroup],
    actor: Actor,
    ids: list[int],
    *,
    message: str,
    field: str,
) -> None:
    """All `ids` must be rows of the teacher's (others' look missing): 422 naming the unknown."""
    if not ids:
        return
    rows = await session.scalars(repository.owned_ids(model, actor, ids))
    unknown = sorted(set(ids) - set(rows.all()))
    if unknown:
        raise InvalidInput(message, field=field, ids=", ".join(map(str, unknown)))


async def check_students(session: AsyncSession, actor: Actor, student_ids: list[int]) -> None:
    await _check_owned(
        session,
        Student,
        actor,
        student_ids,
        message=N_("Unknown students: {ids}"),
        field="student_ids",
    )


async def check_groups(session: AsyncSession, actor: Actor, group_ids: list[int]) -> None:
    await _check_owned(
        session,
        StudentGroup,
        actor,
        group_ids,
        message=N_("Unknown groups: {ids}"),
        field="group_ids",
    )


async def _members(session: AsyncSession, actor: Actor, group_id: int) -> list[int]:
    rows = await session.scalars(repository.group_members(actor, group_id))
    return list(rows.all())


async def _get(session: AsyncSession, actor: Actor, group_id: int) -> StudentGroup:
    group = (await session.scalars(repository.group_by_id(actor, group_id))).one_or_none()
    if group is None:
        raise NotFound(N_("Group not found"))
    return group


async def _read(session: AsyncSession, actor: Actor, group: StudentGroup) -> GroupRead:
    assert group.id is not None
    members = await _members(session, actor, group.id)
    return GroupRead(id=group.id, name=group.name, student_ids=members)


async def list_groups(session: AsyncSession, actor: Actor) -> list[GroupRead]:
    require_role(actor, Role.TEACHER)
    groups = (await session.scalars(repository.groups_by_tenant(actor))).all()
    members = await session.execute(repository.memberships_by_tenant(actor))
    by_group: dict[int, list[int]] = {}
    for group_id, student_id in members.all():
        by_group.setdefault(group_id, []).append(student_id)
    return [GroupRead(id=g.id, name=g.name, student_ids=by_group.get(g.id, [])) for g in groups]


async def get_group(session: AsyncSession, actor: Actor, group_id: int) -> GroupRead:
    require_role(actor, Role.TEACHER)
    return await _read(session, actor, await _get(session, actor, group_id))


async def create_group(session: AsyncSession, actor: Actor, data: GroupCreate) -> GroupRead:
    require_role(actor, Role.TEACHER)
    teacher_id = tenant_id(actor)
    await check_students(session, actor, data.student_ids)
    group = StudentGroup(teacher_id=teacher_id, name=data.name)
    session.add(group)
    await session.flush()
    assert group.id is not None
    session.add_all(
        StudentGroupMember(teacher_id=teacher_id, group_id=group.id, student_id=student_id)
        for student_id in data.student_ids
    )
    await session.flush()
    return await _read(session, actor, group)


async def rename_group(
    session: AsyncSession, actor: Actor, group_id: int, data: GroupUpdate
) -> GroupRead:
    require_role(actor, Role.TEACHER)
    group = await _get(session, actor, group_id)
    group.name = data.name
    await session.flush()
    return await _read(session, actor, group)


async def delete_group(session: AsyncSession, actor: Actor, group_id: int) -> None:
    """Delete the group; assignments made through it stay with the students (detached)."""
    require_role(actor, Role.TEACHER)
    await _get(session, actor, group_id)
    await session.execute(repository.detach_group_assignments(actor, group_id))
    await session.execute(repository.delete_group_members(actor, group_id))
    await session.execute(repository.delete_group(actor, group_id))
    await session.flush()


async def add_members(
    session: AsyncSession, actor: Actor, group_id: int, student_ids: list[int]
) -> GroupRead:
    """Add students; each newcomer is given the group's open assignments in the same step."""
    require_role(actor, Role.TEACHER)
    teacher_id = tenant_id(actor)
    group = await _get(session, actor, group_id)
    await check_students(session, actor, student_ids)
    existing = set(await _members(session, actor, group_id))
    newcomers = [student_id for student_id in student_ids if student_id not in existing]
    if newcomers:
        session.add_all(
            StudentGroupMember(teacher_id=teacher_id, group_id=group_id, student_id=student_id)
            for student_id in newcomers
        )
        await session.flush()
        await session.execute(
            repository.give_open_assignments(actor, group_id, newcomers, now_utc())
        )
    return await _read(session, actor, group)


async def remove_member(
    session: AsyncSession, actor: Actor, group_id: int, student_id: int
) -> GroupRead:
    """Take a student out of the group; their assignments and work stay."""
    require_role(actor, Role.TEACHER)
    group = await _get(session, actor, group_id)
    result = await session.execute(
        repository.delete_group_members(actor, group_id, student_id=student_id)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(N_("Student not found"))
    return await _read(session, actor, group)
