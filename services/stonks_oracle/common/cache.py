"""Redis client (redis.asyncio) that reconnects by itself after a Redis restart.

Every command borrows a pooled connection; a broken one is dropped and the command retried
once on a fresh connection, so the first command after a restart succeeds. While Redis is
down, commands fail within ~1 s with redis.exceptions.ConnectionError, which the app maps
to 503 {"detail": "redis unavailable"}.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ConstantBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .errors import DependencyUnavailable


def connect_redis(url: str) -> Redis:
    """A lazily connecting client for ``url``; responses are decoded to str."""
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=1.0,
        socket_timeout=5.0,
        health_check_interval=15,
        retry=Retry(ConstantBackoff(0.05), retries=1),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


async def ping_redis(client: Redis) -> None:
    """PING, raising DependencyUnavailable when Redis is unreachable."""
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        raise DependencyUnavailable("redis unavailable") from exc
