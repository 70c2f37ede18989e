"""Fetching one page of a list together with the total, in one round trip."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

TOTAL_COLUMN = "total_rows"


def paged(stmt: Select) -> Select:
    """`stmt` with its total as a window column (`count(*) OVER ()`) and LIMIT/OFFSET as bind
    parameters, so one built statement serves every page (hot lists build it once)."""
    return (
        stmt.add_columns(func.count().over().label(TOTAL_COLUMN))
        .limit(bindparam("page_limit", type_=Integer))
        .offset(bindparam("page_offset", type_=Integer))
    )


async def fetch_page(
    session: AsyncSession,
    stmt: Select,
    params: Mapping[str, Any] | None = None,
    *,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """The page's rows and the total number of matching rows, in one query.

    `stmt` is either a plain select (paged here) or one already built by `paged`. The rows keep
    their named columns (plus `total_rows`); only a page past the end needs a separate count.
    """
    if TOTAL_COLUMN not in stmt.selected_columns:
        stmt = paged(stmt)
    values = {**(params or {}), "page_limit": limit, "page_offset": offset}
    rows = list((await session.execute(stmt, values)).all())
    if rows:
        return rows, int(rows[0][-1])
    if offset == 0:
        return [], 0
    total = await session.scalar(count_statement(stmt), values)
    return [], int(total or 0)


def count_statement(stmt: Select) -> Select:
    """The total of a `paged` statement's rows, for a page past the end of the list."""
    unpaged = stmt.limit(None).offset(None).order_by(None)
    return select(func.count()).select_from(unpaged.subquery())
