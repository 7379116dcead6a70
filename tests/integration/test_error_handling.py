"""Error handling and API conventions on all four services: JSON 404s, 422s for bad bodies and
out-of-range parameters, [] for filters that match nothing, 401 without an API key,
X-Correlation-ID, CORS preflight for the frontend origin, and health / readiness.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

SERVICES = ("query-api", "symbol-registry", "risk-engine", "trading-engine")
FRONTEND_ORIGIN = "http://localhost:5173"
MISSING = "00000000-0000-4000-8f00-000000000000"  # a valid UUID4 no table uses

DETAIL_PATHS = {
    "query-api": f"/api/companies/{MISSING}",
    "symbol-registry": f"/api/companies/{MISSING}",
    "risk-engine": f"/api/risk/lockouts/{MISSING}",
    "trading-engine": f"/api/trading/decisions/{MISSING}",
}
LIST_PATHS = {
    "query-api": "/api/documents",
    "symbol-registry": "/api/companies",
    "risk-engine": "/api/risk/lockouts",
    "trading-engine": "/api/trading/decisions",
}
EMPTY_FILTERS = {
    "query-api": ("/api/documents", {"ticker": "ZZZZ"}),
    "symbol-registry": ("/api/companies", {"sector": "No Such Sector"}),
    "risk-engine": ("/api/risk/lockouts", {"ticker": "ZZZZ"}),
    "trading-engine": ("/api/trading/decisions", {"ticker": "ZZZZ"}),
}
BAD_BODIES: dict[str, tuple[str, dict[str, Any]]] = {
    "query-api": ("/api/saved-queries", {}),
    "symbol-registry": ("/api/companies", {"ticker": "not a ticker", "name": "x"}),
    "risk-engine": ("/api/risk/evaluate", {"ticker": "AAPL", "side": "buy", "quantity": -1}),
    "trading-engine": ("/api/notifications", {"channel": "pigeon", "subject": "s", "body": "b"}),
}

Factory = Callable[..., httpx.AsyncClient]
by_service = pytest.mark.parametrize("service", SERVICES)


class TestAllServicesNotFound:
    @by_service
    async def test_unknown_id_is_404_json(self, sandbox_client: Factory, service: str) -> None:
        resp = await sandbox_client(service).get(DETAIL_PATHS[service])
        assert resp.status_code == 404
        assert resp.headers["content-type"].startswith("application/json")
        assert MISSING in resp.json()["detail"]

    @by_service
    async def test_malformed_uuid_is_422(self, sandbox_client: Factory, service: str) -> None:
        path = DETAIL_PATHS[service].replace(MISSING, "not-a-uuid")
        resp = await sandbox_client(service).get(path)
        assert resp.status_code == 422
        assert isinstance(resp.json()["detail"], list)


class TestAllServicesValidation:
    @by_service
    async def test_invalid_body_is_422(self, sandbox_client: Factory, service: str) -> None:
        path, body = BAD_BODIES[service]
        resp = await sandbox_client(service).post(path, json=body)
        assert resp.status_code == 422
        errors = resp.json()["detail"]
        assert errors and all({"loc", "msg", "type"} <= e.keys() for e in errors)

    @by_service
    @pytest.mark.parametrize("limit", [0, 501])
    async def test_limit_out_of_range_is_422(
        self, sandbox_client: Factory, service: str, limit: int
    ) -> None:
        resp = await sandbox_client(service).get(LIST_PATHS[service], params={"limit": limit})
        assert resp.status_code == 422
        assert resp.json()["detail"][0]["loc"] == ["query", "limit"]

    @by_service
    async def test_filter_matching_nothing_is_empty_list(
        self, sandbox_client: Factory, service: str
    ) -> None:
        path, params = EMPTY_FILTERS[service]
        resp = await sandbox_client(service).get(path, params=params)
        assert resp.status_code == 200
        assert resp.json() == []


class TestAllServicesConventions:
    @by_service
    async def test_missing_or_wrong_api_key_is_401(
        self, sandbox_client: Factory, service: str
    ) -> None:
        missing = await sandbox_client(service, headers={}).get(LIST_PATHS[service])
        assert missing.status_code == 401
        assert missing.json() == {"detail": "missing API key"}
        wrong = await sandbox_client(service, headers={"X-API-Key": "wrong"}).get(
            LIST_PATHS[service]
        )
        assert wrong.status_code == 401
        assert wrong.json() == {"detail": "invalid API key"}

    @by_service
    async def test_correlation_id_is_echoed_or_generated(
        self, sandbox_client: Factory, service: str
    ) -> None:
        client = sandbox_client(service)
        sent = f"err-{uuid.uuid4().hex}"
        echoed = await client.get(LIST_PATHS[service], headers={"X-Correlation-ID": sent})
        assert echoed.headers["X-Correlation-ID"] == sent
        generated = await client.get(DETAIL_PATHS[service])
        assert generated.status_code == 404
        assert uuid.UUID(generated.headers["X-Correlation-ID"]).version == 4

    @by_service
    async def test_cors_preflight_for_frontend_origin(
        self, sandbox_client: Factory, service: str
    ) -> None:
        resp = await sandbox_client(service, headers={}).options(
            LIST_PATHS[service],
            headers={
                "Origin": FRONTEND_ORIGIN,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "X-API-Key",
            },
        )
        assert resp.status_code == 200
        assert resp.headers["access-control-allow-origin"] == FRONTEND_ORIGIN
        assert "GET" in resp.headers["access-control-allow-methods"]

    @by_service
    async def test_cors_preflight_from_foreign_origin_is_refused(
        self, sandbox_client: Factory, service: str
    ) -> None:
        resp = await sandbox_client(service, headers={}).options(
            LIST_PATHS[service],
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert resp.status_code == 400
        assert "access-control-allow-origin" not in resp.headers
        assert "detail" in resp.json()

    @by_service
    async def test_health_and_ready_without_api_key(
        self, sandbox_client: Factory, service: str
    ) -> None:
        client = sandbox_client(service, headers={})
        health = await client.get("/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "service": service}
        ready = await client.get("/ready")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "ready"
        assert body["checks"] and set(body["checks"].values()) == {"ok"}


class TestTradingEngineErrorBodies:
    async def test_trading_override_errors_are_json(
        self, trading_client: httpx.AsyncClient
    ) -> None:
        resp = await trading_client.post(
            "/api/trading/override",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        assert resp.status_code == 422
        assert resp.headers["content-type"].startswith("application/json")
        assert isinstance(resp.json()["detail"], list)
