"""The one place a tenant condition is written: every query, update and delete on a tenant table
is built from here, in the feature's `repository.py`; services never write `teacher_id` filters.

Two forms of the same condition:
- `tenant_select` / `tenant_update` / `tenant_delete` / `tenant_condition` bind the actor's tenant
  into the statement (built per call);
- `tenant_filter` leaves it as the bind parameter `teacher_id` for statements built once
  (`functools.cache`), executed with `tenant_params(actor)`.
Both put an explicit `teacher_id = $n` into the SQL: partitioned tables prune at plan time, and
RLS in PostgreSQL checks the same tenant again (the second wall). Both take the tenant from the
actor, never from the request body.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Delete,
    FromClause,
    Select,
    Update,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.actor import Actor
from app.core.errors import Forbidden, NotFound
from app.core.i18n import N_
from app.models.users import Role, Student

# The bind parameter prebuilt statements name the tenant by (`tenant_params` supplies it).
TENANT_PARAM = "teacher_id"


def tenant_id(actor: Actor) -> int:
    """The actor's tenant; raises Forbidden for actors that have none (superusers, anonymous)."""
    if actor.teacher_id is None:
        raise Forbidden(N_("This action needs a teacher's account"))
    return actor.teacher_id


def belongs_to(model: Any, teacher: Any) -> ColumnElement[bool]:
    """`model.teacher_id = teacher`, the one tenant comparison of the code base. `teacher` is a
    tenant id, a bind parameter or another table's tenant column; `model` a table model or a
    subquery. Repositories use it directly only where a platform-wide actor (superuser) names
    one tenant; a tenant's own queries use the functions below."""
    column = model.c.teacher_id if isinstance(model, FromClause) else col(model.teacher_id)
    condition: ColumnElement[bool] = column == teacher
    return condition


def tenant_condition(model: Any, actor: Actor) -> ColumnElement[bool]:
    """The actor's tenant as a condition on `model` (for joins, EXISTS, INSERT … SELECT)."""
    return belongs_to(model, tenant_id(actor))


def tenant_select(model: Any, actor: Actor, *columns: Any) -> Select:
    """`SELECT model` (or just `columns`) restricted to the actor's tenant."""
    stmt = select(*columns) if columns else select(model)
    return stmt.where(tenant_condition(model, actor))


def tenant_update(model: Any, actor: Actor) -> Update:
    """`UPDATE model` restricted to the actor's tenant (add `.where(...)` and `.values(...)`)."""
    return update(model).where(tenant_condition(model, actor))


def tenant_delete(model: Any, actor: Actor) -> Delete:
    """`DELETE FROM model` restricted to the actor's tenant (add `.where(...)`)."""
    return delete(model).where(tenant_condition(model, actor))


def tenant_filter(model: Any) -> ColumnElement[bool]:
    """The tenant condition with the tenant left as the bind parameter `teacher_id`: for the
    hot statements built once; execute them with `tenant_params(actor)`."""
    return belongs_to(model, bindparam(TENANT_PARAM))


def same_tenant(model: Any, other: Any) -> ColumnElement[bool]:
    """Join condition: both rows belong to one tenant (every tenant foreign key includes it)."""
    return belongs_to(model, col(other.teacher_id))


def tenant_params(actor: Actor, **values: Any) -> dict[str, Any]:
    """Bind parameters for a statement built with `tenant_filter`: the actor's tenant and
    `values`."""
    return {TENANT_PARAM: tenant_id(actor), **values}


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise Forbidden(N_("Your role cannot do this"))


async def student_profile_id(session: AsyncSession, actor: Actor) -> int:
    """The signed-in student's profile id (from the token, or looked up once)."""
    require_role(actor, Role.STUDENT)
    if actor.student_id is not None:
        return actor.student_id
    found = await session.scalar(
        tenant_select(Student, actor, col(Student.id)).where(col(Student.user_id) == actor.user_id)
    )
    if found is None:
        raise NotFound(N_("Student not found"))
    return int(found)
