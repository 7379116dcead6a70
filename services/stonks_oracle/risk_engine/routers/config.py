"""Risk configuration: read it, or replace its settings with PUT."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from stonks_oracle.common import DB, BusinessRuleViolation, RedisClient
from stonks_oracle.common.db import row_to_dict

from ..events import emit
from ..models import ERROR_RESPONSES, RiskConfigIn, RiskConfigOut
from ..queries import risk_config

router = APIRouter(prefix="/api/risk", tags=["risk config"], responses=ERROR_RESPONSES)
FIELDS = (
    "max_position_size",
    "max_position_value",
    "max_order_value",
    "approval_threshold_value",
    "max_daily_loss",
    "min_confidence",
    "approval_ttl_minutes",
    "macro_enabled",
    "competitive_enabled",
    "updated_by",
)


@router.get("/config", response_model=RiskConfigOut)
async def get_risk_config(db: DB) -> dict[str, Any]:
    """The active ('default') risk configuration."""
    return await risk_config(db)


@router.put("/config", response_model=RiskConfigOut)
async def put_risk_config(body: RiskConfigIn, db: DB, redis: RedisClient) -> dict[str, Any]:
    """Replace every setting (400 when the approval threshold exceeds the order limit)."""
    if body.approval_threshold_value > body.max_order_value:
        raise BusinessRuleViolation("approval_threshold_value must not exceed max_order_value")
    values = body.model_dump()
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(FIELDS, start=1))
    async with db.transaction() as conn:
        await risk_config(conn)
        row = row_to_dict(
            await conn.fetchrow(
                f"UPDATE risk_config SET {assignments}, updated_at = now() "
                "WHERE name = 'default' RETURNING *",
                *(values[name] for name in FIELDS),
            )
        )
        await emit(
            redis,
            "config_updated",
            {
                "macro_enabled": row["macro_enabled"],
                "competitive_enabled": row["competitive_enabled"],
                "updated_by": row["updated_by"],
            },
        )
    return row
