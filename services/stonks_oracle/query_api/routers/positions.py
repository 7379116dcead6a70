"""Open positions with their profit and loss."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, Select, Ticker, upper

router = APIRouter(prefix="/api/positions", tags=["positions"], responses=READ_ERRORS)

# cost_basis = avg_cost * quantity; total_pnl = realized + unrealized;
# unrealized_pnl_pct = unrealized_pnl / cost_basis * 100 (NULL when there is no cost basis).
SELECT_POSITIONS = (
    "SELECT p.*, c.ticker, c.name AS company_name,"
    " round(p.avg_cost * p.quantity, 4) AS cost_basis,"
    " p.realized_pnl + p.unrealized_pnl AS total_pnl,"
    " round(p.unrealized_pnl / nullif(p.avg_cost * p.quantity, 0) * 100, 4)"
    " AS unrealized_pnl_pct"
    " FROM positions p JOIN companies c ON c.id = p.company_id"
)


@router.get("")
async def list_positions(db: DB, page: Page, ticker: Ticker = None) -> list[dict[str, Any]]:
    """Positions ordered by opening time."""
    select = Select(SELECT_POSITIONS).where("c.ticker = {}", upper(ticker))
    return await db.fetch_all(select.sql("p.opened_at, p.id", page), *select.args)


@router.get("/{position_id}")
async def get_position(position_id: UUID, db: DB) -> dict[str, Any]:
    """One position with its P&L (404 when unknown)."""
    position = await db.fetch_one(f"{SELECT_POSITIONS} WHERE p.id = $1", position_id)
    if position is None:
        raise NotFound(f"position {position_id} not found")
    return position
