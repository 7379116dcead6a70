"""Competitive signals: a competitor's move that affects a company."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, Select, Ticker, upper

router = APIRouter(prefix="/api/competitive", tags=["competitive"], responses=READ_ERRORS)

SignalType = Literal[
    "product_launch", "pricing", "market_share", "partnership", "regulatory", "talent", "other"
]
SELECT_SIGNALS = (
    "SELECT s.*, c.ticker, k.ticker AS competitor_ticker FROM competitive_signals s"
    " JOIN companies c ON c.id = s.company_id JOIN companies k ON k.id = s.competitor_id"
)


@router.get("/signals")
async def list_competitive_signals(
    db: DB,
    page: Page,
    ticker: Ticker = None,
    competitor_ticker: Ticker = None,
    signal_type: SignalType | None = None,
) -> list[dict[str, Any]]:
    """Signals, most recently detected first, by affected company, competitor and type."""
    select = (
        Select(SELECT_SIGNALS)
        .where("c.ticker = {}", upper(ticker))
        .where("k.ticker = {}", upper(competitor_ticker))
        .where("s.signal_type = {}", signal_type)
    )
    return await db.fetch_all(select.sql("s.detected_at DESC, s.id", page), *select.args)


@router.get("/signals/{signal_id}")
async def get_competitive_signal(signal_id: UUID, db: DB) -> dict[str, Any]:
    """One competitive signal (404 when unknown)."""
    signal = await db.fetch_one(f"{SELECT_SIGNALS} WHERE s.id = $1", signal_id)
    if signal is None:
        raise NotFound(f"competitive signal {signal_id} not found")
    return signal
