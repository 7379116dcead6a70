"""Existence checks shared by the registry routers (404 for unknown ids)."""

from __future__ import annotations

from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from stonks_oracle.common import NotFound
from stonks_oracle.common.db import Database, row_to_dict

Source: TypeAlias = Database | asyncpg.Connection


async def fetch_row(source: Source, query: str, *args: Any) -> dict[str, Any] | None:
    """One JSON-ready row from a Database (read with retry) or an open connection."""
    if isinstance(source, Database):
        return await source.fetch_one(query, *args)
    row = await source.fetchrow(query, *args)
    return None if row is None else row_to_dict(row)


async def company_or_404(source: Source, company_id: UUID) -> dict[str, Any]:
    """The company row, or NotFound."""
    row = await fetch_row(source, "SELECT * FROM companies WHERE id = $1", company_id)
    if row is None:
        raise NotFound(f"company {company_id} not found")
    return row


async def watchlist_or_404(source: Source, watchlist_id: UUID) -> dict[str, Any]:
    """The watchlist row, or NotFound."""
    row = await fetch_row(source, "SELECT * FROM watchlists WHERE id = $1", watchlist_id)
    if row is None:
        raise NotFound(f"watchlist {watchlist_id} not found")
    return row
