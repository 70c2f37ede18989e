"""Accounts (users) and the role profiles hanging off them.

The tenant key everywhere is `teacher_id`, the teacher's user id. A person (student profile) is
kept apart from the account (user) so that a lead without a login can exist later.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlmodel import Field

from app.models.base import TimestampMixin


class Role(StrEnum):
    """Roles grow over time (a read-only guardian comes later): stored as checked text."""

    SUPERUSER = "superuser"
    TEACHER = "teacher"
    STUDENT = "student"


ROLE_VALUES = tuple(role.value for role in Role)


class User(TimestampMixin, table=True):
    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_email_lower", func.lower(Column("email", String(254))), unique=True),
        UniqueConstraint("teacher_id", "id"),
        CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role_known"),
        # Only students belong to a tenant; a teacher *is* the tenant (teacher_id = their id).
        CheckConstraint("(role = 'student') = (teacher_id IS NOT NULL)", name="tenant_by_role"),
        ForeignKeyConstraint(["teacher_id"], ["teachers.id"], ondelete="RESTRICT"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, Identity(always=False), primary_key=True),
    )
    email: str = Field(max_length=254)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    teacher_id: int | None = Field(default=None, sa_type=BigInteger)
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    name: str = Field(max_length=100)
    surname: str = Field(max_length=100)
    second_name: str | None = Field(default=None, max_length=100)
    birthday: date | None = None
    timezone: str = Field(max_length=64)
    language: str = Field(max_length=8)
    # A one-time password set by a teacher or the superuser: until the person picks their own,
    # their session opens nothing but the password change.
    must_change_password: bool = Field(
        default=False, sa_column_kwargs={"server_default": text("false")}
    )


class Teacher(TimestampMixin, table=True):
    """A tenant. Its id is the teacher's user id: `teacher_id` means the same thing everywhere."""

    __tablename__ = "teachers"

    id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("users.id", ondelete="CASCADE", use_alter=True),
            primary_key=True,
            autoincrement=False,
        )
    )


class Student(TimestampMixin, table=True):
    """A teacher's student (the person); `user_id` is their login account."""

    __tablename__ = "students"
    __table_args__ = (
        UniqueConstraint("teacher_id", "id"),
        # The account belongs to the same tenant as the profile (composite key, Citus-ready).
        ForeignKeyConstraint(
            ["teacher_id", "user_id"], ["users.teacher_id", "users.id"], ondelete="RESTRICT"
        ),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, Identity(always=False), primary_key=True),
    )
    teacher_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("teachers.id", ondelete="RESTRICT"), nullable=False)
    )
    user_id: int | None = Field(default=None, sa_type=BigInteger, unique=True)
