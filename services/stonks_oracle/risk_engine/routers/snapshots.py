"""Daily risk snapshots: list (newest day first, optional date range) and get."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Page

from ..models import ERROR_RESPONSES, SnapshotOut

router = APIRouter(prefix="/api/risk/snapshots", tags=["snapshots"], responses=ERROR_RESPONSES)


@router.get("", response_model=list[SnapshotOut])
async def list_snapshots(
    db: DB, page: Page, from_date: dt.date | None = None, to_date: dt.date | None = None
) -> list[dict[str, Any]]:
    """Snapshots with from_date <= snapshot_date <= to_date, newest first."""
    return await db.fetch_all(
        "SELECT * FROM daily_risk_snapshots "
        "WHERE ($1::date IS NULL OR snapshot_date >= $1) "
        "AND ($2::date IS NULL OR snapshot_date <= $2) "
        "ORDER BY snapshot_date DESC, id LIMIT $3 OFFSET $4",
        from_date,
        to_date,
        page.limit,
        page.offset,
    )


@router.get("/{snapshot_id}", response_model=SnapshotOut)
async def get_snapshot(snapshot_id: UUID, db: DB) -> dict[str, Any]:
    """One daily snapshot."""
    snapshot = await db.fetch_one("SELECT * FROM daily_risk_snapshots WHERE id = $1", snapshot_id)
    if snapshot is None:
        raise NotFound(f"risk snapshot {snapshot_id} not found")
    return snapshot
