"""Server-side login sessions: one row per login, holding the current refresh token's hash."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey
from sqlmodel import Field

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
