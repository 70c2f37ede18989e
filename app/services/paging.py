"""Fetching one page of a list together with the total, in one round trip."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def fetch_page(
    session: AsyncSession, stmt: Select, *, limit: int, offset: int
) -> tuple[list[tuple[Any, ...]], int]:
    """The page's rows (without the count column) and the total number of matching rows.

    The total rides along as a window column (`count(*) OVER ()`), so a list costs one query
    instead of a count plus a page; only a page past the end needs the separate count.
    """
    counted = stmt.add_columns(func.count().over().label("total_rows")).limit(limit).offset(offset)
    rows = (await session.execute(counted)).all()
    if rows:
        return [tuple(row)[:-1] for row in rows], int(rows[0][-1])
    if offset == 0:
        return [], 0
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return [], int(total or 0)
