"""Risk events on Redis (``stonks.risk.<event>``), sent before the write commits.

Publishing inside the write's transaction means a state change never succeeds silently
without its event: when Redis is down the change rolls back and the client gets 503.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from stonks_oracle.common import publish_event

DOMAIN = "risk"


async def emit(redis: Redis, event: str, payload: dict[str, Any]) -> None:
    """Publish one risk event."""
    await publish_event(redis, DOMAIN, event, payload)
