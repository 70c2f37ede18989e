"""Every accounts statement on a tenant table (students, the audit log), built from
`app.services.scoping`. Private to the accounts feature: other features call its service modules.

The student list and the student's own profile are hot reads, built once per shape with bind
parameters (`tenant_params`); the benchmark's limit app compiles these very objects.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, String, bindparam, func, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.core.actor import Actor
from app.models.auth import AuditEvent
from app.models.users import Student, User
from app.services.paging import paged
from app.services.scoping import tenant_condition, tenant_filter, tenant_select

# The list reads plain columns (named as StudentRead names them), never the password hash.
_LIST_COLUMNS = (
    col(Student.id),
    col(Student.user_id),
    col(Student.teacher_id),
    col(User.email),
    col(User.name),
    col(User.surname),
    col(User.second_name),
    col(User.birthday),
    col(User.timezone),
    col(User.language),
    col(User.is_active),
    col(User.created_at),
)


@functools.cache
def student_list_statement(searching: bool, include_inactive: bool) -> Select:
    """One shape of the student list (a page, with its total) by surname, name, id; values as
    bind parameters: `teacher_id`, and `pattern` (lower-case LIKE) when searching."""
    stmt = (
        select(*_LIST_COLUMNS)
        .join(User, col(User.id) == col(Student.user_id))
        .where(tenant_filter(Student))
    )
    if not include_inactive:
        stmt = stmt.where(col(User.is_active))
    if searching:
        pattern = bindparam("pattern", type_=String())
        stmt = stmt.where(
            func.lower(User.email).like(pattern)
            | func.lower(User.name).like(pattern)
            | func.lower(User.surname).like(pattern)
        )
    return paged(stmt.order_by(col(User.surname), col(User.name), col(Student.id)))


def student_with_account(actor: Actor, student_id: int) -> Select:
    """(Student, User) of one of the tenant's students."""
    return (
        tenant_select(Student, actor, Student, User)
        .join(User, col(User.id) == col(Student.user_id))
        .where(col(Student.id) == student_id)
    )


# (Student, User) of the signed-in student (`user_id`, `teacher_id`), for their dashboard.
OWN_PROFILE = (
    select(Student, User)
    .join(User, col(User.id) == col(Student.user_id))
    .where(col(Student.user_id) == bindparam("user_id"), tenant_filter(Student))
)


def audit_event_list(
    actor: Actor, *, platform_wide: bool, event: str | None, user_id: int | None
) -> Select:
    """(AuditEvent, actor's name, subject's name) newest first: every event for the platform
    (`platform_wide`, the superuser), else the actor's tenant's. `event` keeps one kind,
    `user_id` the events that user did or that concern them. A name is NULL when the viewer
    may not see that account (RLS), e.g. the superuser who acted on a teacher."""
    who = aliased(User, name="actor_user")
    whom = aliased(User, name="subject_user")
    stmt = (
        select(
            AuditEvent,
            _full_name(who).label("actor_name"),
            _full_name(whom).label("subject_name"),
        )
        .outerjoin(who, col(who.id) == col(AuditEvent.actor_user_id))
        .outerjoin(whom, col(whom.id) == col(AuditEvent.subject_user_id))
    )
    if not platform_wide:
        stmt = stmt.where(tenant_condition(AuditEvent, actor))
    if event is not None:
        stmt = stmt.where(col(AuditEvent.event) == event)
    if user_id is not None:
        stmt = stmt.where(
            (col(AuditEvent.subject_user_id) == user_id)
            | (col(AuditEvent.actor_user_id) == user_id)
        )
    return stmt.order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())


def _full_name(user: Any) -> Any:
    return func.nullif(func.concat_ws(" ", user.surname, user.name), "")
