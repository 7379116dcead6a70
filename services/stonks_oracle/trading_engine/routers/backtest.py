"""Backtest a simple strategy over the stored daily price bars."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound
from stonks_oracle.common.openapi import error_responses as errors

from ..backtest import Bar, Signal, run_backtest
from ..models import BacktestIn, BacktestOut

router = APIRouter(prefix="/api/trading", tags=["backtest"])

TREND_SIGNAL: dict[str, Signal] = {"up": "long", "down": "short", "flat": "flat"}

# The latest trend window of each company that started on or before the range's end.
LATEST_TRENDS = """
SELECT DISTINCT ON (company_id) company_id, direction
FROM trend_windows
WHERE (window_start AT TIME ZONE 'UTC')::date <= $1 AND company_id = ANY($2::uuid[])
ORDER BY company_id, window_end DESC, created_at DESC, id
"""


async def _companies(db: DB, body: BacktestIn) -> dict[str, str]:
    """ticker -> company id: the requested tickers (404 naming unknown ones), or else every
    company with bars in the range, in ticker order."""
    if body.tickers is None:
        rows = await db.fetch_all(
            """SELECT c.ticker, c.id FROM companies AS c
            WHERE EXISTS (SELECT 1 FROM price_bars AS b
                          WHERE b.company_id = c.id AND b.bar_date BETWEEN $1 AND $2)
            ORDER BY c.ticker""",
            body.start_date,
            body.end_date,
        )
        return {r["ticker"]: r["id"] for r in rows}
    tickers = list(dict.fromkeys(body.tickers))
    rows = await db.fetch_all(
        "SELECT ticker, id FROM companies WHERE ticker = ANY($1::text[])", tickers
    )
    found = {r["ticker"]: r["id"] for r in rows}
    missing = [t for t in tickers if t not in found]
    if missing:
        raise NotFound(f"unknown tickers: {', '.join(missing)}")
    return {t: found[t] for t in tickers}


@router.post("/backtest", response_model=BacktestOut, responses=errors(404))
async def backtest(body: BacktestIn, db: DB) -> dict[str, Any]:
    """Run ``strategy`` from ``start_date`` to ``end_date`` (inclusive); deterministic.

    Without ``tickers`` every company with bars in the range takes part, so the result only
    depends on the stored bars and trend windows. ``buy_and_hold`` is long every ticker;
    ``trend_following`` is long on an ``up``, short on a ``down`` and flat on a ``flat`` (or
    missing) latest trend window.
    """
    companies = await _companies(db, body)
    ids = list(companies.values())
    rows = await db.fetch_all(
        """SELECT c.ticker, b.bar_date, b.open, b.close
        FROM price_bars AS b JOIN companies AS c ON c.id = b.company_id
        WHERE b.company_id = ANY($1::uuid[]) AND b.bar_date BETWEEN $2 AND $3
        ORDER BY c.ticker, b.bar_date""",
        ids,
        body.start_date,
        body.end_date,
    )
    bars: dict[str, list[Bar]] = defaultdict(list)
    for r in rows:
        bars[r["ticker"]].append(
            Bar(
                dt.date.fromisoformat(r["bar_date"]),
                Decimal(str(r["open"])),
                Decimal(str(r["close"])),
            )
        )
    if body.strategy == "buy_and_hold":
        signals: dict[str, Signal] = dict.fromkeys(companies, "long")
    else:
        trends = await db.fetch_all(LATEST_TRENDS, body.end_date, ids)
        direction = {r["company_id"]: r["direction"] for r in trends}
        signals = {
            t: TREND_SIGNAL.get(direction.get(cid, "flat"), "flat") for t, cid in companies.items()
        }
    result = run_backtest(signals, bars, Decimal(str(body.initial_cash)))
    return {
        "strategy": body.strategy,
        "start_date": body.start_date.isoformat(),
        "end_date": body.end_date.isoformat(),
        **result,
    }
