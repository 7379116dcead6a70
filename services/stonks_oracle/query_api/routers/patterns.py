"""Historical patterns observed per company."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, Select, Ticker, upper

router = APIRouter(prefix="/api/patterns", tags=["patterns"], responses=READ_ERRORS)

PatternType = Literal["earnings_drift", "seasonal", "momentum", "mean_reversion", "event_reaction"]
SELECT_PATTERNS = (
    "SELECT h.*, c.ticker FROM historical_patterns h LEFT JOIN companies c ON c.id = h.company_id"
)


@router.get("")
async def list_patterns(
    db: DB, page: Page, ticker: Ticker = None, pattern_type: PatternType | None = None
) -> list[dict[str, Any]]:
    """Historical patterns ordered by created_at then id."""
    select = (
        Select(SELECT_PATTERNS)
        .where("c.ticker = {}", upper(ticker))
        .where("h.pattern_type = {}", pattern_type)
    )
    return await db.fetch_all(select.sql("h.created_at, h.id", page), *select.args)


@router.get("/{pattern_id}")
async def get_pattern(pattern_id: UUID, db: DB) -> dict[str, Any]:
    """One historical pattern (404 when unknown)."""
    pattern = await db.fetch_one(f"{SELECT_PATTERNS} WHERE h.id = $1", pattern_id)
    if pattern is None:
        raise NotFound(f"historical pattern {pattern_id} not found")
    return pattern
