"""The one place tenant scoping is built: every tenant query goes through here.

RLS in PostgreSQL is the second wall behind this one; both use the actor, never the request body.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.actor import Actor
from app.core.errors import Forbidden, NotFound
from app.core.i18n import N_
from app.models.users import Role, Student

S = TypeVar("S", bound=Select)


def tenant_id(actor: Actor) -> int:
    """The actor's tenant; raises Forbidden for actors that have none (superusers, anonymous)."""
    if actor.teacher_id is None:
        raise Forbidden(N_("This action needs a teacher's account"))
    return actor.teacher_id


def scoped(stmt: S, model: Any, actor: Actor) -> S:
    """Restrict a select on a tenant-owned table to the actor's tenant."""
    return stmt.where(model.teacher_id == tenant_id(actor))


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise Forbidden(N_("Your role cannot do this"))


async def student_profile_id(session: AsyncSession, actor: Actor) -> int:
    """The signed-in student's profile id (from the token, or looked up once)."""
    require_role(actor, Role.STUDENT)
    if actor.student_id is not None:
        return actor.student_id
    found = await session.scalar(
        select(col(Student.id)).where(
            col(Student.user_id) == actor.user_id, col(Student.teacher_id) == tenant_id(actor)
        )
    )
    if found is None:
        raise NotFound(N_("Student not found"))
    return int(found)
