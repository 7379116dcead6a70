"""Resilience (reference 002): PostgreSQL and Redis outages and restarts, a restarted service.

Every test starts what it stopped again (try/finally), then waits for recovery within the
targets: database 10 s, Redis 5 s. Faults run in a worker thread: they block, and restarting
PostgreSQL runs its own event loop. Overrides act on AMZN halts, which are always resumed.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import httpx

from pytest_stonks_sandbox import ClientFactory, SandboxFaults

DATABASE_RECOVERY_S = 10.0
REDIS_RECOVERY_S = 5.0
READS = {
    "query-api": "/api/companies",
    "symbol-registry": "/api/companies",
    "risk-engine": "/api/risk/config",
    "trading-engine": "/api/trading/decisions",
}


async def until_status(
    send: Callable[[], Awaitable[httpx.Response]], status: int, within: float
) -> tuple[httpx.Response, float]:
    """Repeat ``send`` every 100 ms until it answers ``status``; the last response and the
    seconds it took (the caller asserts on both)."""
    started = time.monotonic()
    while True:
        try:
            resp = await send()
        except httpx.TransportError:
            resp = httpx.Response(599)
        elapsed = time.monotonic() - started
        if resp.status_code == status or elapsed > within:
            return resp, elapsed
        await asyncio.sleep(0.1)


def halt_amzn(
    client: httpx.AsyncClient, action: str = "halt"
) -> Callable[[], Awaitable[httpx.Response]]:
    body = {"action": action, "ticker": "AMZN", "reason": "resilience", "operator": "it"}
    return lambda: client.post("/api/trading/override", json=body)


class TestResilienceDatabase:
    async def test_services_answer_again_after_postgres_restart(
        self, sandbox_client: ClientFactory, sandbox_faults: SandboxFaults
    ) -> None:
        clients = {name: sandbox_client(name) for name in READS}
        for name, path in READS.items():
            assert (await clients[name].get(path)).status_code == 200, name
        await asyncio.to_thread(sandbox_faults.restart, "postgres")
        for name, path in READS.items():
            resp, took = await until_status(
                functools.partial(clients[name].get, path), 200, DATABASE_RECOVERY_S
            )
            assert resp.status_code == 200, f"{name} after {took:.1f} s: {resp.text}"
            assert isinstance(resp.json(), list | dict)

    async def test_database_outage_is_503_json_then_recovers(
        self, trading_client: httpx.AsyncClient, sandbox_faults: SandboxFaults
    ) -> None:
        try:
            await asyncio.to_thread(sandbox_faults.stop, "postgres")
            down = await trading_client.get("/api/trading/decisions")
            assert down.status_code == 503
            assert down.json() == {"detail": "database unavailable"}
        finally:
            await asyncio.to_thread(sandbox_faults.start, "postgres")
        resp, took = await until_status(
            lambda: trading_client.get("/api/trading/decisions"), 200, DATABASE_RECOVERY_S
        )
        assert resp.status_code == 200, f"after {took:.1f} s: {resp.text}"


class TestResilienceRedis:
    async def test_override_is_503_while_redis_is_down_and_recovers(
        self, trading_client: httpx.AsyncClient, sandbox_faults: SandboxFaults
    ) -> None:
        try:
            await asyncio.to_thread(sandbox_faults.stop, "redis")
            down = await halt_amzn(trading_client)()
            assert down.status_code == 503
            assert down.json() == {"detail": "redis unavailable"}
            status = await trading_client.get("/api/trading/status")
            assert status.status_code == 200
            assert (status.json()["redis"], status.json()["halted"]) == ("unavailable", None)
        finally:
            await asyncio.to_thread(sandbox_faults.start, "redis")
        try:
            resp, took = await until_status(halt_amzn(trading_client), 200, REDIS_RECOVERY_S)
            assert resp.status_code == 200, f"after {took:.1f} s: {resp.text}"
            assert took <= REDIS_RECOVERY_S
            assert resp.json()["channel"] == "stonks.trading.halted"
        finally:
            await halt_amzn(trading_client, "resume")()
        status = await trading_client.get("/api/trading/status")
        assert status.json()["redis"] == "ok"

    async def test_notification_is_not_recorded_while_redis_is_down(
        self,
        trading_client: httpx.AsyncClient,
        db: asyncpg.Connection,
        sandbox_faults: SandboxFaults,
    ) -> None:
        related = uuid.uuid4()
        body = {"channel": "log", "subject": "s", "body": "b", "related_id": str(related)}
        try:
            await asyncio.to_thread(sandbox_faults.stop, "redis")
            down = await trading_client.post("/api/notifications", json=body)
            assert down.status_code == 503
            assert down.json() == {"detail": "redis unavailable"}
        finally:
            await asyncio.to_thread(sandbox_faults.start, "redis")
        count = await db.fetchval(
            "SELECT count(*) FROM notifications WHERE related_id = $1", related
        )
        assert count == 0
        resp, _ = await until_status(
            lambda: trading_client.post("/api/notifications", json=body), 201, REDIS_RECOVERY_S
        )
        assert resp.status_code == 201
        assert resp.json()["related_id"] == str(related)


class TestResilienceServices:
    async def test_trading_engine_serves_again_after_a_process_restart(
        self, trading_client: httpx.AsyncClient, sandbox_faults: SandboxFaults
    ) -> None:
        await asyncio.to_thread(sandbox_faults.restart, "trading-engine")
        health, took = await until_status(lambda: trading_client.get("/health"), 200, 10.0)
        assert health.status_code == 200, f"after {took:.1f} s"
        assert health.json() == {"status": "ok", "service": "trading-engine"}
        resp = await trading_client.get("/api/trading/status")
        assert resp.status_code == 200
        assert resp.json()["redis"] == "ok"
