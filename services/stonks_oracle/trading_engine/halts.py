"""Trading halts: override state kept in one Redis hash (scope ``global`` or a ticker)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from redis.asyncio import Redis

HALTS_KEY = "stonks:trading:halts"
GLOBAL = "global"


async def get_halts(redis: Redis) -> dict[str, dict[str, Any]]:
    """Every active halt by scope."""
    raw = await redis.hgetall(HALTS_KEY)
    return {str(scope): json.loads(value) for scope, value in sorted(raw.items())}


async def set_halt(redis: Redis, scope: str, reason: str, operator: str) -> bool:
    """Halt ``scope``; False when it was already halted (the first halt is kept)."""
    record = {
        "reason": reason,
        "operator": operator,
        "halted_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    added: int = await redis.hsetnx(HALTS_KEY, scope, json.dumps(record))
    return bool(added)


async def clear_halt(redis: Redis, scope: str) -> bool:
    """Resume ``scope``; False when it was not halted."""
    removed: int = await redis.hdel(HALTS_KEY, scope)
    return bool(removed)


def blocking_scope(halts: dict[str, Any], ticker: str) -> str | None:
    """The halt that stops trading ``ticker`` (global first), if any."""
    for scope in (GLOBAL, ticker):
        if scope in halts:
            return scope
    return None
