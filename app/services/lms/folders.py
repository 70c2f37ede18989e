"""Nested folders of a teacher's lesson library."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.i18n import N_
from app.models.lms import Folder
from app.models.users import Role
from app.schemas.lms import FolderCreate, FolderRead, FolderUpdate
from app.services.lms import repository
from app.services.scoping import require_role, tenant_id

MAX_DEPTH = 10


def _read(folder: Folder) -> FolderRead:
    return FolderRead.model_validate(folder.model_dump())


async def _get(session: AsyncSession, actor: Actor, folder_id: int) -> Folder:
    folder = (await session.scalars(repository.folder_by_id(actor, folder_id))).one_or_none()
    if folder is None:
        raise NotFound(N_("Folder not found"))
    return folder


async def _check_parent(
    session: AsyncSession, actor: Actor, parent_id: int | None, moving: int | None = None
) -> None:
    """The parent must be the teacher's own folder, not the folder itself or one inside it."""
    depth = 0
    current = parent_id
    while current is not None:
        if current == moving:
            raise InvalidInput(N_("A folder cannot be moved inside itself"), field="parent_id")
        try:
            folder = await _get(session, actor, current)
        except NotFound:
            raise InvalidInput(N_("Folder not found"), field="parent_id") from None
        current = folder.parent_id
        depth += 1
        if depth > MAX_DEPTH:
            raise InvalidInput(N_("Folders nest at most 10 deep"), field="parent_id")


async def list_folders(session: AsyncSession, actor: Actor) -> list[FolderRead]:
    require_role(actor, Role.TEACHER)
    rows = await session.scalars(repository.folders_by_tenant(actor))
    return [_read(folder) for folder in rows.all()]


async def create_folder(session: AsyncSession, actor: Actor, data: FolderCreate) -> FolderRead:
    require_role(actor, Role.TEACHER)
    await _check_parent(session, actor, data.parent_id)
    folder = Folder(teacher_id=tenant_id(actor), parent_id=data.parent_id, name=data.name)
    session.add(folder)
    await session.flush()
    return _read(folder)


async def update_folder(
    session: AsyncSession, actor: Actor, folder_id: int, data: FolderUpdate
) -> FolderRead:
    require_role(actor, Role.TEACHER)
    folder = await _get(session, actor, folder_id)
    changes = data.model_dump(exclude_unset=True)
    if "parent_id" in changes:
        await _check_parent(session, actor, changes["parent_id"], moving=folder_id)
        folder.parent_id = changes["parent_id"]
    if changes.get("name"):
        folder.name = changes["name"]
    await session.flush()
    return _read(folder)


async def delete_folder(session: AsyncSession, actor: Actor, folder_id: int) -> None:
    """Only an empty folder goes: lessons and subfolders are never deleted along with it."""
    require_role(actor, Role.TEACHER)
    await _get(session, actor, folder_id)
    has_children = await session.scalar(repository.folder_has_children(actor, folder_id))
    has_lessons = await session.scalar(repository.folder_has_lessons(actor, folder_id))
    if has_children or has_lessons:
        raise Conflict(N_("The folder is not empty"))
    await session.execute(repository.delete_folder(actor, folder_id))
    await session.flush()
