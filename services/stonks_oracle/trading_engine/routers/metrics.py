"""Trading metrics computed from orders, decisions (optionally in a date range) and positions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from stonks_oracle.common import DB

from ..models import MetricsOut
from ..params import Dates
from ..queries import utc_date_between

router = APIRouter(prefix="/api/trading", tags=["metrics"])

ORDER_STATUSES = ("pending", "partially_filled", "filled", "cancelled", "rejected")
DECISION_STATUSES = ("pending", "executed", "skipped", "rejected")
ACTIONS = ("buy", "sell", "hold")

ORDERS = f"""
SELECT status, count(*) AS n,
       coalesce(sum(filled_quantity * coalesce(filled_avg_price, 0)), 0) AS notional
FROM orders WHERE {utc_date_between("created_at", "$1", "$2")}
GROUP BY status
"""
DECISIONS = f"""
SELECT action, status, count(*) AS n, sum(confidence) AS confidence
FROM trading_decisions WHERE {utc_date_between("created_at", "$1", "$2")}
GROUP BY action, status
"""
POSITIONS = """
SELECT count(*) AS count,
       coalesce(sum(market_value), 0) AS market_value,
       coalesce(sum(quantity * avg_cost), 0) AS cost_basis,
       coalesce(sum(unrealized_pnl), 0) AS unrealized_pnl,
       coalesce(sum(realized_pnl), 0) AS realized_pnl
FROM positions WHERE quantity <> 0
"""


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


@router.get("/metrics", response_model=MetricsOut)
async def get_metrics(db: DB, dates: Dates) -> dict[str, Any]:
    """Order fill rate and notional, decision mix and confidence, position value and P&L."""
    bounds = (dates.start_date, dates.end_date)
    orders = await db.fetch_all(ORDERS, *bounds)
    decisions = await db.fetch_all(DECISIONS, *bounds)
    positions = await db.fetch_one(POSITIONS)
    assert positions is not None

    by_status = dict.fromkeys(ORDER_STATUSES, 0) | {r["status"]: r["n"] for r in orders}
    order_total = sum(by_status.values())
    decision_status = dict.fromkeys(DECISION_STATUSES, 0)
    decision_action = dict.fromkeys(ACTIONS, 0)
    confidence = 0.0
    for row in decisions:
        decision_status[row["status"]] += row["n"]
        decision_action[row["action"]] += row["n"]
        confidence += row["confidence"]
    decision_total = sum(decision_status.values())
    money = {k: round(v, 4) for k, v in positions.items() if k != "count"}
    return {
        "start_date": dates.start_date.isoformat() if dates.start_date else None,
        "end_date": dates.end_date.isoformat() if dates.end_date else None,
        "orders": {
            "total": order_total,
            "by_status": by_status,
            "fill_rate": _ratio(by_status["filled"], order_total),
            "filled_notional": round(sum(r["notional"] for r in orders), 4),
        },
        "decisions": {
            "total": decision_total,
            "by_action": decision_action,
            "by_status": decision_status,
            "avg_confidence": _ratio(confidence, decision_total) if decision_total else None,
            "execution_rate": _ratio(decision_status["executed"], decision_total),
        },
        "positions": {
            "count": positions["count"],
            **money,
            "total_pnl": round(money["unrealized_pnl"] + money["realized_pnl"], 4),
        },
    }
