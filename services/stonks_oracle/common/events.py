"""Domain events on Redis: pub/sub for live consumers, a stream for offline ones.

``publish_event("trading", "order_filled", {...})`` sends one JSON envelope

    {"event_id": "<uuid4>", "channel": "stonks.trading.order_filled",
     "domain": "trading", "event": "order_filled",
     "occurred_at": "2024-01-01T00:00:00.000000+00:00",
     "correlation_id": "<X-Correlation-ID of the request, or null>",
     "payload": {...}}

with PUBLISH on channel ``stonks.<domain>.<event>`` and XADD to stream ``stonks.events``
(fields ``channel`` and ``data`` = the same JSON; trimmed to about 10,000 entries).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis

from .middleware.correlation import current_correlation_id

STREAM = "stonks.events"
STREAM_MAXLEN = 10_000
_NAME = re.compile(r"^[a-z_]+$")


def channel_name(domain: str, event: str) -> str:
    """``stonks.<domain>.<event>``; both parts must match [a-z_]+."""
    for part in (domain, event):
        if not _NAME.match(part):
            raise ValueError(f"event name parts must match [a-z_]+, got {part!r}")
    return f"stonks.{domain}.{event}"


def make_envelope(domain: str, event: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The documented envelope for one event (JSON-ready)."""
    return {
        "event_id": str(uuid.uuid4()),
        "channel": channel_name(domain, event),
        "domain": domain,
        "event": event,
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "correlation_id": current_correlation_id(),
        "payload": dict(payload),
    }


async def publish_event(
    client: Redis, domain: str, event: str, payload: Mapping[str, Any]
) -> dict[str, Any]:
    """Publish and append one event atomically (MULTI); returns the envelope sent."""
    envelope = make_envelope(domain, event, payload)
    data = json.dumps(envelope, default=str)
    async with client.pipeline(transaction=True) as pipe:
        pipe.publish(envelope["channel"], data)
        pipe.xadd(
            STREAM,
            {"channel": envelope["channel"], "data": data},
            maxlen=STREAM_MAXLEN,
            approximate=True,
        )
        await pipe.execute()
    return envelope
