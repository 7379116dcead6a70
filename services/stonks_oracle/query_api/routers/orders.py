"""Orders with their broker events and audit trail."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, Select, Ticker, upper

router = APIRouter(prefix="/api/orders", tags=["orders"], responses=READ_ERRORS)

OrderStatus = Literal["pending", "partially_filled", "filled", "cancelled", "rejected"]
SELECT_ORDERS = "SELECT o.*, c.ticker FROM orders o JOIN companies c ON c.id = o.company_id"
SELECT_EVENTS = "SELECT * FROM order_events WHERE order_id = $1 ORDER BY occurred_at, id"
SELECT_AUDIT = "SELECT * FROM order_audit_log WHERE order_id = $1 ORDER BY created_at, id"


async def _order(db: DB, order_id: UUID) -> dict[str, Any]:
    order = await db.fetch_one(f"{SELECT_ORDERS} WHERE o.id = $1", order_id)
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order


@router.get("")
async def list_orders(
    db: DB,
    page: Page,
    status: OrderStatus | None = None,
    ticker: Ticker = None,
    side: Literal["buy", "sell"] | None = None,
) -> list[dict[str, Any]]:
    """Orders, newest first, by status, ticker and side."""
    select = (
        Select(SELECT_ORDERS)
        .where("o.status = {}", status)
        .where("c.ticker = {}", upper(ticker))
        .where("o.side = {}", side)
    )
    return await db.fetch_all(select.sql("o.created_at DESC, o.id", page), *select.args)


@router.get("/{order_id}")
async def get_order(order_id: UUID, db: DB) -> dict[str, Any]:
    """One order with its events and audit trail."""
    order = await _order(db, order_id)
    order["events"] = await db.fetch_all(SELECT_EVENTS, order_id)
    order["audit"] = await db.fetch_all(SELECT_AUDIT, order_id)
    return order


@router.get("/{order_id}/events")
async def list_order_events(order_id: UUID, db: DB) -> list[dict[str, Any]]:
    """Broker events of one order in time order."""
    await _order(db, order_id)
    return await db.fetch_all(SELECT_EVENTS, order_id)


@router.get("/{order_id}/audit")
async def list_order_audit(order_id: UUID, db: DB) -> list[dict[str, Any]]:
    """Audit trail (who changed what) of one order in time order."""
    await _order(db, order_id)
    return await db.fetch_all(SELECT_AUDIT, order_id)
