"""The services' Redis stream (stonks.events) as the integration tests read it.

redis-py types its stream replies for every kind of client: ids and fields as ``bytes | str``,
entries and replies that may be nil, XREAD as RESP2 lists or RESP3 maps. The `redis` fixture's
client is made with ``decode_responses=True`` and speaks RESP2, so what it returns is str ids
with str fields; these helpers give its replies that type.

Test modules import this as ``streams``: pytest puts the directory of a test module (one
without ``__init__.py``) on sys.path before importing it, as mypy's ``mypy_path`` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from redis.asyncio import Redis
from redis.typing import KeyT, StreamIdT

STREAM = "stonks.events"

StreamEntry = tuple[str, dict[str, str]]
"""An entry of a stream: its id and its fields."""


async def xrange(
    redis: Redis, name: str, min: str = "-", max: str = "+", count: int | None = None
) -> list[StreamEntry]:
    """XRANGE: the entries of stream ``name`` from ``min`` to ``max``, oldest first."""
    return cast(list[StreamEntry], await redis.xrange(name, min=min, max=max, count=count))


async def xrevrange(
    redis: Redis, name: str, max: str = "+", min: str = "-", count: int | None = None
) -> list[StreamEntry]:
    """XREVRANGE: the entries of stream ``name`` from ``max`` down to ``min``, newest first."""
    return cast(list[StreamEntry], await redis.xrevrange(name, max=max, min=min, count=count))


async def xread(
    redis: Redis, streams: Mapping[str, str], count: int | None = None
) -> list[tuple[str, list[StreamEntry]]]:
    """XREAD: (stream name, its entries after the given id) for each stream that has some."""
    # RESP2 answers with a [name, entries] list per stream; as tuples they can be typed.
    last_ids: dict[KeyT, StreamIdT] = {name: last_id for name, last_id in streams.items()}
    reply = cast(list[list[Any]], await redis.xread(last_ids, count=count))
    return [(name, entries) for name, entries in reply]


async def stream_event(redis: Redis, channel: str, key: str, value: str) -> dict[str, Any] | None:
    """The newest event on ``channel`` in stream stonks.events whose payload[key] == value."""
    for _, fields in await xrevrange(redis, STREAM, count=500):
        if fields["channel"] == channel:
            envelope: dict[str, Any] = json.loads(fields["data"])
            if envelope["payload"].get(key) == value:
                return envelope
    return None
