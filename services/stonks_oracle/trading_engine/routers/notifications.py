"""Notifications history (read side)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from stonks_oracle.common import DB, Page

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


@router.get("")
async def list_notifications(db: DB, page: Page) -> list[dict[str, Any]]:
    """Notifications, newest first."""
    return await db.fetch_all(
        "SELECT * FROM notifications ORDER BY created_at DESC, id LIMIT $1 OFFSET $2",
        page.limit,
        page.offset,
    )
