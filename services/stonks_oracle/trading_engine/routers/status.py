"""Engine status: config mode, Redis connectivity, halts and row counts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from redis.exceptions import RedisError

from stonks_oracle.common import DB, RedisClient

from ..halts import GLOBAL, get_halts
from ..models import StatusOut

router = APIRouter(prefix="/api/trading", tags=["status"])

COUNTS = """
SELECT
    (SELECT count(*) FROM trading_decisions) AS total,
    (SELECT count(*) FROM trading_decisions WHERE status = 'pending') AS pending,
    (SELECT count(*) FROM trading_decisions WHERE status = 'executed') AS executed,
    (SELECT count(*) FROM trading_decisions WHERE status = 'skipped') AS skipped,
    (SELECT count(*) FROM trading_decisions WHERE status = 'rejected') AS rejected,
    (SELECT count(*) FROM notifications) AS notifications,
    (SELECT count(*) FROM orders WHERE status IN ('pending', 'partially_filled')) AS open_orders,
    (SELECT count(*) FROM positions WHERE quantity <> 0) AS positions
"""


@router.get("/status", response_model=StatusOut)
async def get_status(request: Request, db: DB, redis: RedisClient) -> dict[str, Any]:
    """Mode and enabled flag of the default config, halts (null while Redis is down), counts."""
    config = await db.fetch_one("SELECT mode, enabled FROM trading_config WHERE name = 'default'")
    counts = await db.fetch_one(COUNTS)
    assert counts is not None
    try:
        halts: dict[str, Any] | None = await get_halts(redis)
    except (RedisError, OSError):
        halts = None
    decisions = {k: counts[k] for k in ("total", "pending", "executed", "skipped", "rejected")}
    return {
        "service": request.app.title,
        "mode": config["mode"] if config else None,
        "enabled": config["enabled"] if config else None,
        "redis": "unavailable" if halts is None else "ok",
        "halted": None if halts is None else GLOBAL in halts,
        "halted_tickers": None if halts is None else [s for s in halts if s != GLOBAL],
        "decisions": decisions,
        "notifications": counts["notifications"],
        "open_orders": counts["open_orders"],
        "positions": counts["positions"],
    }
