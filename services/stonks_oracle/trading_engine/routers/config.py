"""Trading config: read and replace (PUT) a named config, ``default`` unless ``name`` is given."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query

from stonks_oracle.common import DB, NotFound, RedisClient, publish_event
from stonks_oracle.common.db import row_to_dict
from stonks_oracle.common.openapi import error_responses as errors

from ..models import NAME, ConfigIn, ConfigOut

router = APIRouter(prefix="/api/trading/config", tags=["config"])

ConfigName = Annotated[str, Query(pattern=NAME, description="config name")]

UPSERT = """
INSERT INTO trading_config (name, mode, enabled, max_daily_orders, max_position_value,
                            min_confidence, strategies, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (name) DO UPDATE SET
    mode = EXCLUDED.mode, enabled = EXCLUDED.enabled,
    max_daily_orders = EXCLUDED.max_daily_orders,
    max_position_value = EXCLUDED.max_position_value,
    min_confidence = EXCLUDED.min_confidence, strategies = EXCLUDED.strategies,
    updated_by = EXCLUDED.updated_by, updated_at = now()
RETURNING *
"""


@router.get("", response_model=ConfigOut, responses=errors(404))
async def get_config(db: DB, name: ConfigName = "default") -> dict[str, object]:
    """The trading config ``name`` (404 when there is none)."""
    config = await db.fetch_one("SELECT * FROM trading_config WHERE name = $1", name)
    if config is None:
        raise NotFound(f"trading config {name!r} not found")
    return config


@router.put("", response_model=ConfigOut, responses=errors(503))
async def put_config(
    body: ConfigIn, db: DB, redis: RedisClient, name: ConfigName = "default"
) -> dict[str, object]:
    """Create or replace config ``name``; publishes ``stonks.trading.config_updated``.

    The write commits only once the event is out: with Redis down nothing changes (503).
    """
    async with db.transaction() as conn:
        row = await conn.fetchrow(
            UPSERT,
            name,
            body.mode,
            body.enabled,
            body.max_daily_orders,
            Decimal(str(body.max_position_value)),
            Decimal(str(body.min_confidence)),
            [s.model_dump() for s in body.strategies],
            body.updated_by,
        )
        config = row_to_dict(row)
        await publish_event(redis, "trading", "config_updated", config)
    return config
