"""Student groups."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import IdPath, SessionDep, TeacherActor
from app.schemas.lms import GroupCreate, GroupMembers, GroupRead, GroupUpdate
from app.services.lms import groups as group_service

router = APIRouter(prefix="/groups", tags=["groups"])


@router.get("", response_model=list[GroupRead])
async def list_groups(actor: TeacherActor, session: SessionDep) -> list[GroupRead]:
    """The teacher's groups with their members' ids."""
    return await group_service.list_groups(session, actor)


@router.post("", response_model=GroupRead, status_code=status.HTTP_201_CREATED)
async def create_group(body: GroupCreate, actor: TeacherActor, session: SessionDep) -> GroupRead:
    """Create a group of the teacher's students."""
    return await group_service.create_group(session, actor, body)


@router.get("/{group_id}", response_model=GroupRead)
async def get_group(group_id: IdPath, actor: TeacherActor, session: SessionDep) -> GroupRead:
    """One group."""
    return await group_service.get_group(session, actor, group_id)


@router.patch("/{group_id}", response_model=GroupRead)
async def rename_group(
    group_id: IdPath, body: GroupUpdate, actor: TeacherActor, session: SessionDep
) -> GroupRead:
    """Rename a group."""
    return await group_service.rename_group(session, actor, group_id, body)


@router.delete("/{group_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_group(group_id: IdPath, actor: TeacherActor, session: SessionDep) -> Response:
    """Delete a group; its students keep their assignments and work."""
    await group_service.delete_group(session, actor, group_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{group_id}/members", response_model=GroupRead)
async def add_group_members(
    group_id: IdPath, body: GroupMembers, actor: TeacherActor, session: SessionDep
) -> GroupRead:
    """Add students; newcomers get the group's open assignments."""
    return await group_service.add_members(session, actor, group_id, body.student_ids)


@router.delete("/{group_id}/members/{student_id}", response_model=GroupRead)
async def remove_group_member(
    group_id: IdPath, student_id: IdPath, actor: TeacherActor, session: SessionDep
) -> GroupRead:
    """Take a student out of a group (their assignments stay)."""
    return await group_service.remove_member(session, actor, group_id, student_id)
