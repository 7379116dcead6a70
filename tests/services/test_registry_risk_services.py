"""symbol-registry and risk-engine started as the sandbox starts them (uvicorn subprocesses)
against real PostgreSQL 16 and Valkey: health, readiness, OpenAPI, a write with its event,
and a write while Redis is down (503, nothing stored)."""

from __future__ import annotations

import json
import uuid
from typing import Any, cast

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

API_KEY = "svc-test-key"
AUTH = {"X-API-Key": API_KEY}
# Stream entries as a decode_responses=True client returns them (redis-py types them for every
# client: ids and fields as bytes | str, entries that may be nil).
StreamEntries = list[tuple[str, dict[str, str]]]


def service_env(postgres: Any, valkey: Any) -> dict[str, str]:
    return {
        "STONKS_DATABASE_URL": postgres.dsn,
        "STONKS_REDIS_URL": valkey.url,
        "STONKS_API_KEY": API_KEY,
    }


@pytest.mark.parametrize(
    ("module", "title", "path", "protected"),
    [
        (
            "symbol_registry",
            "symbol-registry",
            "/api/companies/{company_id}/competitors",
            "/api/companies",
        ),
        (
            "risk_engine",
            "risk-engine",
            "/api/risk/approvals/{approval_id}/review",
            "/api/risk/config",
        ),
    ],
    ids=["symbol-registry", "risk-engine"],
)
async def test_service_answers_health_ready_openapi(
    postgres: Any, valkey: Any, run_service: Any, module: str, title: str, path: str, protected: str
) -> None:
    service = run_service(module, service_env(postgres, valkey))
    async with httpx.AsyncClient(base_url=service.base_url, timeout=10) as http:
        health = await http.get("/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "service": title}
        ready = await http.get("/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
        spec = await http.get("/openapi.json")
        assert spec.status_code == 200
        assert path in spec.json()["paths"]
        assert (await http.get(protected)).status_code == 401


async def test_registry_write_publishes_event_and_risk_reads_it(
    postgres: Any, valkey: Any, run_service: Any
) -> None:
    registry = run_service("symbol_registry", service_env(postgres, valkey))
    risk = run_service("risk_engine", service_env(postgres, valkey))
    ticker = "S" + uuid.uuid4().hex[:6].upper()
    redis = Redis.from_url(valkey.url, decode_responses=True)
    try:
        async with httpx.AsyncClient(base_url=registry.base_url, headers=AUTH, timeout=10) as reg:
            created = await reg.post("/api/companies", json={"ticker": ticker, "name": "Svc"})
            assert created.status_code == 201
            entries = cast(StreamEntries, await redis.xrevrange("stonks.events", count=20))
            payloads = [
                json.loads(fields["data"])["payload"]
                for _, fields in entries
                if fields["channel"] == "stonks.registry.company_created"
            ]
            assert {"company_id": created.json()["id"], "ticker": ticker} in payloads
            async with httpx.AsyncClient(base_url=risk.base_url, headers=AUTH, timeout=10) as rsk:
                lockout = await rsk.post(
                    "/api/risk/lockouts", json={"ticker": ticker, "reason": "svc test"}
                )
                assert lockout.status_code == 201
                assert lockout.json()["state"] == "active"
            deleted = await reg.delete(f"/api/companies/{created.json()['id']}")
            assert deleted.status_code == 204
    finally:
        await redis.aclose()


async def test_registry_write_while_redis_is_down_is_503_and_not_stored(
    postgres: Any, valkey: Any, run_service: Any
) -> None:
    registry = run_service("symbol_registry", service_env(postgres, valkey))
    ticker = "R" + uuid.uuid4().hex[:6].upper()
    async with httpx.AsyncClient(base_url=registry.base_url, headers=AUTH, timeout=10) as http:
        valkey.stop()
        try:
            resp = await http.post("/api/companies", json={"ticker": ticker, "name": "Down"})
            assert resp.status_code == 503
            assert resp.json() == {"detail": "redis unavailable"}
            assert (await http.get("/ready")).status_code == 503
        finally:
            valkey.start()
    conn = await asyncpg.connect(postgres.dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM companies WHERE ticker = $1", ticker) == 0
    finally:
        await conn.close()
