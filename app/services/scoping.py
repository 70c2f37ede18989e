"""The one place tenant scoping is built: every tenant query goes through here.

RLS in PostgreSQL is the second wall behind this one; both use the actor, never the request body.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select

from app.core.actor import Actor
from app.core.errors import Forbidden
from app.models.users import Role

S = TypeVar("S", bound=Select)


def tenant_id(actor: Actor) -> int:
    """The actor's tenant; raises Forbidden for actors that have none (superusers, anonymous)."""
    if actor.teacher_id is None:
        raise Forbidden("This action needs a teacher's account")
    return actor.teacher_id


def scoped(stmt: S, model: Any, actor: Actor) -> S:
    """Restrict a select on a tenant-owned table to the actor's tenant."""
    return stmt.where(model.teacher_id == tenant_id(actor))


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise Forbidden("Your role cannot do this")
