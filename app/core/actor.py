"""Who is asking: the small immutable identity every service call receives."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.models.users import Role


@dataclass(frozen=True, slots=True)
class Actor:
    """`teacher_id` is the tenant: a teacher's own id, or a student's teacher's id."""

    user_id: int | None = None
    role: Role | None = None
    teacher_id: int | None = None
    session_id: uuid.UUID | None = None
    # A student's own profile id (students.id), so student-facing queries need no lookup.
    student_id: int | None = None
    # Trusted code paths (the CLI, background jobs) that act across tenants on purpose.
    is_system: bool = False

    @classmethod
    def anonymous(cls) -> Actor:
        return cls()

    @classmethod
    def system(cls) -> Actor:
        return cls(is_system=True)

    @classmethod
    def system_for(cls, teacher_id: int) -> Actor:
        """A background job working for one tenant: RLS shows it that tenant's rows only."""
        return cls(is_system=True, teacher_id=teacher_id)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def db_role(self) -> str:
        """The value RLS policies read from `app.role`."""
        if self.is_system:
            # The policies' 'system' arms open every tenant; a job for one tenant is bound by
            # the arms that bind that tenant's teacher instead.
            return "system" if self.teacher_id is None else "teacher"
        return self.role.value if self.role else ""


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Where a request comes from, as the audit log and the sessions list show it. The address
    is the peer uvicorn reports (behind a proxy: run it with --forwarded-allow-ips)."""

    ip_address: str | None = None
    user_agent: str | None = None
    # The known-device cookie, as sent (checked against the account only at login).
    device_token: str | None = None

    @classmethod
    def unknown(cls) -> ClientInfo:
        return cls()
