"""Shapes shared by every feature's API."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

# Ids are bigint: a larger number names no row, and the driver would refuse it with a 500.
MAX_ID = 2**63 - 1


class Pagination(BaseModel):
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class Page(BaseModel, Generic[T]):
    """One page of a list, in a stable order; `next_offset` is null on the last page."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next_offset: int | None = None

    @classmethod
    def build(cls, items: list[T], total: int, page: Pagination) -> Page[T]:
        more = page.offset + len(items) < total
        return cls(
            items=items,
            total=total,
            limit=page.limit,
            offset=page.offset,
            next_offset=page.offset + len(items) if more and items else None,
        )
