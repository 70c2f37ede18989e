"""The audit log of security events: who did what to which account, from where.

Rows are written by the `audit_record` database function (migration 0007), never by an INSERT
from the app: it derives the tenant from the account concerned, so a teacher sees their own and
their students' events and the superuser sees everything, and it works for an anonymous caller
(a failed login with an unknown e-mail). Recording joins the caller's transaction: an event that
must outlive a refused request (a failed login) is recorded in a transaction of its own.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor, ClientInfo
from app.core.i18n import N_


class AuditEventType(StrEnum):
    # ruff's S105 reads "PASSWORD_..." names as hard-coded passwords; these are event names.
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGIN_THROTTLED = "login_throttled"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - by the person themself
    PASSWORD_SET = "password_set"  # noqa: S105 - by their teacher or the superuser
    ONE_TIME_PASSWORD_ISSUED = "one_time_password_issued"  # noqa: S105
    PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105
    PASSWORD_RESET_COMPLETED = "password_reset_completed"  # noqa: S105
    SESSIONS_REVOKED = "sessions_revoked"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    ACCOUNT_ACTIVATED = "account_activated"
    ACCOUNT_CREATED = "account_created"
    ROLE_CHANGED = "role_changed"


# How each event reads in the log (msgids, translated where shown).
EVENT_LABELS: dict[AuditEventType, str] = {
    AuditEventType.LOGIN_SUCCEEDED: N_("Logged in"),
    AuditEventType.LOGIN_FAILED: N_("Failed login"),
    AuditEventType.LOGIN_THROTTLED: N_("Login refused: too many attempts"),
    AuditEventType.LOGOUT: N_("Logged out"),
    AuditEventType.PASSWORD_CHANGED: N_("Changed own password"),
    AuditEventType.PASSWORD_SET: N_("Password set by another person"),
    AuditEventType.ONE_TIME_PASSWORD_ISSUED: N_("One-time password issued"),
    AuditEventType.PASSWORD_RESET_REQUESTED: N_("Password reset requested"),
    AuditEventType.PASSWORD_RESET_COMPLETED: N_("Password reset by e-mail"),
    AuditEventType.SESSIONS_REVOKED: N_("Other sessions ended"),
    AuditEventType.ACCOUNT_DEACTIVATED: N_("Account deactivated"),
    AuditEventType.ACCOUNT_ACTIVATED: N_("Account activated"),
    AuditEventType.ACCOUNT_CREATED: N_("Account created"),
    AuditEventType.ROLE_CHANGED: N_("Role changed"),
}

_RECORD = text(
    "SELECT audit_record(:event, CAST(:subject AS bigint), CAST(:actor AS bigint),"
    " :ip, :user_agent, CAST(:detail AS jsonb))"
)


async def record(
    session: AsyncSession,
    event: AuditEventType,
    *,
    subject_user_id: int | None,
    actor: Actor | None = None,
    client: ClientInfo | None = None,
    **detail: Any,
) -> None:
    """Append one event. `subject_user_id` is the account concerned (None: none is known);
    `actor` who did it (None or anonymous: nobody signed in). `detail` must hold no secret."""
    client = client or ClientInfo.unknown()
    await session.execute(
        _RECORD,
        {
            "event": event.value,
            "subject": subject_user_id,
            "actor": actor.user_id if actor is not None else None,
            "ip": client.ip_address,
            "user_agent": client.user_agent,
            "detail": json.dumps(detail, default=str),
        },
    )
