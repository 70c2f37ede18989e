"""Nested folders of a teacher's lesson library."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.i18n import N_
from app.models.lms import Folder
from app.models.users import Role
from app.schemas.lms import FolderCreate, FolderNode, FolderRead, FolderUpdate
from app.services.lms import repository
from app.services.scoping import require_role, tenant_id

MAX_DEPTH = 10
NAME_TAKEN = N_("There is already a folder with this name here: choose another name")
# The unique index of migration 0010: names at one level, compared without case.
NAME_INDEX = "uq_folders_teacher_id_parent_name"


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


async def _check_name(
    session: AsyncSession,
    actor: Actor,
    name: str,
    parent_id: int | None,
    except_id: int | None = None,
) -> None:
    stmt = repository.folder_name_taken(actor, name, parent_id, except_id=except_id)
    if await session.scalar(stmt):
        raise Conflict(NAME_TAKEN, field="name")


async def _flush_or_name_taken(session: AsyncSession) -> None:
    """Flush in a savepoint: a concurrent twin that passed the check too meets the unique index,
    and is told the same as the check says (the savepoint keeps the transaction usable)."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        if NAME_INDEX in str(error.orig):
            raise Conflict(NAME_TAKEN, field="name") from error
        raise


async def list_folders(session: AsyncSession, actor: Actor) -> list[FolderRead]:
    """The teacher's folders in tree order: each folder followed by its subfolders, by name."""
    return [node for node, _ in walk(await folder_tree(session, actor))]


async def folder_tree(session: AsyncSession, actor: Actor) -> list[FolderNode]:
    """The teacher's folders as a tree: the top-level folders, each with its subfolders."""
    require_role(actor, Role.TEACHER)
    rows = (await session.scalars(repository.folders_by_tenant(actor))).all()
    children: dict[int | None, list[Folder]] = {}
    for folder in rows:  # by name: each level stays in name order
        children.setdefault(folder.parent_id, []).append(folder)

    def nodes(parent_id: int | None, depth: int) -> list[FolderNode]:
        return [
            FolderNode(
                id=folder.id,
                name=folder.name,
                parent_id=folder.parent_id,
                depth=depth,
                # The depth guard only stops a cycle no write path can make.
                children=nodes(folder.id, depth + 1) if depth <= 5 * MAX_DEPTH else [],
            )
            for folder in children.get(parent_id, [])
            if folder.id is not None
        ]

    return nodes(None, 0)


def walk(tree: list[FolderNode]) -> list[tuple[FolderNode, int]]:
    """The tree flattened depth-first, each node with its depth (for indented choices)."""
    flat: list[tuple[FolderNode, int]] = []
    for node in tree:
        flat.append((node, node.depth))
        flat.extend(walk(node.children))
    return flat


async def create_folder(session: AsyncSession, actor: Actor, data: FolderCreate) -> FolderRead:
    """A new folder; Conflict at `name` if one of that name (any case) is at that level."""
    require_role(actor, Role.TEACHER)
    await _check_parent(session, actor, data.parent_id)
    await _check_name(session, actor, data.name, data.parent_id)
    folder = Folder(teacher_id=tenant_id(actor), parent_id=data.parent_id, name=data.name)
    session.add(folder)
    await _flush_or_name_taken(session)
    return _read(folder)


async def update_folder(
    session: AsyncSession, actor: Actor, folder_id: int, data: FolderUpdate
) -> FolderRead:
    """Rename or move a folder: InvalidInput at `parent_id` for a move into itself or its own
    subtree, Conflict at `name` if the level it ends up at has that name (any case)."""
    require_role(actor, Role.TEACHER)
    folder = await _get(session, actor, folder_id)
    changes = data.model_dump(exclude_unset=True)
    parent_id = changes.get("parent_id", folder.parent_id)
    name = changes.get("name") or folder.name
    # Checked before the row changes: the checks' reads would flush it outside the savepoint.
    if "parent_id" in changes:
        await _check_parent(session, actor, parent_id, moving=folder_id)
    await _check_name(session, actor, name, parent_id, except_id=folder_id)
    folder.parent_id, folder.name = parent_id, name
    await _flush_or_name_taken(session)
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
