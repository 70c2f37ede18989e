"""Server-side login sessions (one row per login, holding the current refresh token's hash),
password-reset tokens, and the audit log of security events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Identity, Index, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.base import TimestampMixin


class AuthSession(TimestampMixin, table=True):
    __tablename__ = "auth_sessions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # Rotation keeps the family (the login) and replaces the token; a reused old token can be
    # detected by family later (roadmap: reuse detection revokes the whole family).
    family_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    refresh_token_hash: str = Field(max_length=64)
    # The token rotated away last, accepted for a few seconds: two requests that both found the
    # access token expired present the same refresh token, and the slower one is no thief.
    previous_token_hash: str | None = Field(default=None, max_length=64)
    rotated_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
    )
    user_agent: str | None = Field(default=None, max_length=255)
    ip_address: str | None = Field(default=None, max_length=45)
    # Written when the access token is renewed, not on every request (see migration 0007).
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PasswordResetToken(SQLModel, table=True):
    """One e-mailed reset link: only the secret's hash is kept; it works once, until it expires."""

    __tablename__ = "password_reset_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token_hash: str = Field(max_length=64)
    created_at: datetime = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "nullable": False},
    )
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AuditEvent(SQLModel, table=True):
    """A security event. Rows are written only by the `audit_record` database function
    (app.services.audit.record), which derives `teacher_id` from the account concerned."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index(
            "ix_audit_events_teacher_id_created_at",
            "teacher_id",
            text("created_at DESC"),
            text("id DESC"),
        ),
        Index("ix_audit_events_created_at", text("created_at DESC"), text("id DESC")),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True)
    )
    created_at: datetime = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "nullable": False},
    )
    # The tenant; NULL for the superuser's own events and for unknown e-mails.
    teacher_id: int | None = Field(default=None, sa_type=BigInteger)
    actor_user_id: int | None = Field(default=None, sa_type=BigInteger)
    subject_user_id: int | None = Field(default=None, sa_type=BigInteger)
    event: str = Field(max_length=64)
    ip_address: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=255)
    detail: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )


class LoginThrottle(SQLModel, table=True):
    """Login attempts counted per account (e-mail) or client address, in a fixed window that
    starts with the first attempt (app.services.auth.throttle). Keys are HMACs: neither the
    e-mails people typed nor their addresses are stored. Visible to the system actor only."""

    __tablename__ = "login_throttle"
    __table_args__ = (Index("ix_login_throttle_window_started_at", "window_started_at"),)

    kind: str = Field(max_length=16, primary_key=True)  # "account" or "address"
    key_hash: str = Field(max_length=64, primary_key=True)
    failures: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    window_started_at: datetime = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "nullable": False},
    )
