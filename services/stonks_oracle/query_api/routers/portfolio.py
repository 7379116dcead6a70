"""Portfolio snapshots: the latest one (with current positions) and the history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, Select
from .positions import SELECT_POSITIONS

router = APIRouter(prefix="/api/portfolio", tags=["portfolio"], responses=READ_ERRORS)


@router.get("")
async def get_portfolio(db: DB) -> dict[str, Any]:
    """The latest snapshot and the open positions (404 when no snapshot was taken)."""
    snapshot = await db.fetch_one(
        "SELECT * FROM portfolio_snapshots ORDER BY snapshot_at DESC, id LIMIT 1"
    )
    if snapshot is None:
        raise NotFound("no portfolio snapshot")
    snapshot["positions"] = await db.fetch_all(f"{SELECT_POSITIONS} ORDER BY p.opened_at, p.id")
    return snapshot


@router.get("/snapshots")
async def list_portfolio_snapshots(db: DB, page: Page) -> list[dict[str, Any]]:
    """Snapshots, newest first."""
    select = Select("SELECT * FROM portfolio_snapshots")
    return await db.fetch_all(select.sql("snapshot_at DESC, id", page), *select.args)


@router.get("/snapshots/{snapshot_id}")
async def get_portfolio_snapshot(snapshot_id: UUID, db: DB) -> dict[str, Any]:
    """One snapshot (404 when unknown)."""
    snapshot = await db.fetch_one("SELECT * FROM portfolio_snapshots WHERE id = $1", snapshot_id)
    if snapshot is None:
        raise NotFound(f"portfolio snapshot {snapshot_id} not found")
    return snapshot
