"""Risk configuration (read side)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound

router = APIRouter(prefix="/api/risk", tags=["risk config"])


@router.get("/config")
async def get_risk_config(db: DB) -> dict[str, Any]:
    """The active ('default') risk configuration."""
    config = await db.fetch_one("SELECT * FROM risk_config WHERE name = 'default'")
    if config is None:
        raise NotFound("risk config not found")
    return config
