"""PostgreSQL access: a lazily (re)connecting asyncpg pool and JSON-ready row helpers.

Rows come back as plain dicts made for JSON: UUID -> str, Decimal -> float (NUMERIC columns
hold prices and quantities whose seeded values fit a double exactly enough for equality),
datetime/date/time -> ISO 8601 strings (timestamptz keeps its offset), json/jsonb -> Python
objects (and json/jsonb parameters accept Python objects), arrays -> lists.

A lost or refused connection becomes DependencyUnavailable("database unavailable") -> 503.
Read helpers retry once on a connection that died under them (e.g. after a PostgreSQL
restart), so the first read after a restart succeeds; writes never retry.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, TypeVar

import asyncpg

from .errors import DB_DOWN, DependencyUnavailable

log = logging.getLogger("stonks_oracle.db")
T = TypeVar("T")
UNAVAILABLE = "database unavailable"
LOST = (OSError, *DB_DOWN)  # OSError: e.g. "Multiple exceptions" when no address answers


def to_json_value(value: Any) -> Any:
    """Convert one database value into something json.dumps accepts as documented above."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    return value


def row_to_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """A record as a JSON-ready dict (column name -> converted value)."""
    return {key: to_json_value(value) for key, value in row.items()}


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


class Database:
    """One asyncpg pool per service, created on first use and recreated if it breaks."""

    def __init__(
        self,
        dsn: str,
        *,
        max_size: int = 10,
        connect_timeout: float = 3.0,
        command_timeout: float = 15.0,
    ) -> None:
        self._dsn = dsn
        self._max_size = max_size
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Open the pool now if the database is up; otherwise on the first request."""
        try:
            await self.ping()
        except DependencyUnavailable:
            log.warning("database not reachable at startup; will retry on demand")

    async def close(self) -> None:
        """Close the pool (bounded wait, then terminate)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), timeout=5)
            except LOST:
                pool.terminate()

    async def _get_pool(self) -> asyncpg.Pool:
        if self._pool is not None:
            return self._pool
        async with self._lock:
            if self._pool is None:
                try:
                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=1,
                        max_size=self._max_size,
                        timeout=self._connect_timeout,
                        command_timeout=self._command_timeout,
                        init=_init_connection,
                    )
                except LOST as exc:
                    log.warning("cannot open database pool: %r", exc)
                    raise DependencyUnavailable(UNAVAILABLE) from exc
            return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """Borrow a pooled connection; connection failures raise DependencyUnavailable."""
        pool = await self._get_pool()
        try:
            async with pool.acquire(timeout=self._connect_timeout) as conn:
                yield conn
        except LOST as exc:
            raise DependencyUnavailable(UNAVAILABLE) from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection inside a transaction, committed on success, rolled back on error."""
        async with self.connection() as conn, conn.transaction():
            yield conn

    async def _read(self, op: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        for attempt in (1, 2):
            try:
                async with self.connection() as conn:
                    return await op(conn)
            except DependencyUnavailable:
                if attempt == 2:
                    raise
                log.info("retrying a read after a lost database connection")
        raise AssertionError("unreachable")

    async def fetch_all(self, query: str, *args: Any) -> list[dict[str, Any]]:
        """All rows of a read query as JSON-ready dicts."""
        rows = await self._read(lambda conn: conn.fetch(query, *args))
        return [row_to_dict(row) for row in rows]

    async def fetch_one(self, query: str, *args: Any) -> dict[str, Any] | None:
        """The first row of a read query as a JSON-ready dict, or None."""
        row = await self._read(lambda conn: conn.fetchrow(query, *args))
        return None if row is None else row_to_dict(row)

    async def fetch_value(self, query: str, *args: Any) -> Any:
        """The first column of the first row (converted), or None."""
        return to_json_value(await self._read(lambda conn: conn.fetchval(query, *args)))

    async def execute(self, query: str, *args: Any) -> str:
        """Run a write statement once (no retry); returns the status tag, e.g. 'UPDATE 1'."""
        async with self.connection() as conn:
            result: str = await conn.execute(query, *args)
            return result

    async def ping(self) -> None:
        """SELECT 1, raising DependencyUnavailable when the database is unreachable."""
        await self.fetch_value("SELECT 1")
