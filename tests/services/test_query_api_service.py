"""query-api as a process: it starts, answers /health, /ready and /openapi.json with its routes.

The first tests run it (as the plugin does) against a private PostgreSQL 16 with the migrations
and no seed data, with the object store unreachable; the last ones ask the real sandbox
(`pytest --sandbox`, skipped when the sandbox is off).
"""

from __future__ import annotations

import socket
from typing import Any

import httpx

API_KEY = "query-api-test-key"
AUTH = {"X-API-Key": API_KEY}
UNKNOWN_ID = "00000000-0000-4000-8000-00000000dead"

# (method, path) of every query-api route, as the frontend and the integration suite use them.
ROUTES = {
    ("get", "/api/companies"),
    ("get", "/api/companies/{company_id}"),
    ("get", "/api/documents"),
    ("get", "/api/documents/{document_id}"),
    ("get", "/api/documents/{document_id}/extractions"),
    ("get", "/api/documents/{document_id}/raw"),
    ("get", "/api/evidence"),
    ("get", "/api/evidence/{evidence_id}"),
    ("get", "/api/trends"),
    ("get", "/api/trends/{trend_id}"),
    ("get", "/api/trends/{trend_id}/projections"),
    ("get", "/api/trends/{trend_id}/evidence"),
    ("get", "/api/recommendations"),
    ("get", "/api/recommendations/{recommendation_id}"),
    ("get", "/api/recommendations/{recommendation_id}/citations"),
    ("get", "/api/orders"),
    ("get", "/api/orders/{order_id}"),
    ("get", "/api/orders/{order_id}/events"),
    ("get", "/api/orders/{order_id}/audit"),
    ("get", "/api/positions"),
    ("get", "/api/positions/{position_id}"),
    ("get", "/api/portfolio"),
    ("get", "/api/portfolio/snapshots"),
    ("get", "/api/portfolio/snapshots/{snapshot_id}"),
    ("get", "/api/macro/events"),
    ("get", "/api/macro/events/{event_id}"),
    ("get", "/api/macro/events/{event_id}/impacts"),
    ("get", "/api/macro/impacts"),
    ("get", "/api/competitive/signals"),
    ("get", "/api/competitive/signals/{signal_id}"),
    ("get", "/api/patterns"),
    ("get", "/api/patterns/{pattern_id}"),
    ("get", "/api/ops/pipeline-health"),
    ("get", "/api/ops/ingestion-summary"),
    ("get", "/api/ops/ingestion-runs"),
    ("get", "/api/ops/ingestion-runs/{run_id}"),
    ("get", "/api/ops/coverage-gaps"),
    ("get", "/api/ops/dashboard"),
    ("get", "/api/agents"),
    ("post", "/api/agents"),
    ("get", "/api/agents/{agent_id}"),
    ("patch", "/api/agents/{agent_id}"),
    ("delete", "/api/agents/{agent_id}"),
    ("get", "/api/agents/{agent_id}/variants"),
    ("post", "/api/agents/{agent_id}/variants"),
    ("get", "/api/agents/{agent_id}/performance"),
    ("get", "/api/variants"),
    ("get", "/api/variants/{variant_id}"),
    ("get", "/api/analytics/summary"),
    ("get", "/api/analytics/sentiment"),
    ("get", "/api/analytics/agents"),
    ("get", "/api/saved-queries"),
    ("post", "/api/saved-queries"),
    ("get", "/api/saved-queries/{query_id}"),
    ("patch", "/api/saved-queries/{query_id}"),
    ("delete", "/api/saved-queries/{query_id}"),
}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(postgres: Any) -> dict[str, str]:
    return {
        "STONKS_DATABASE_URL": postgres.dsn,
        "STONKS_API_KEY": API_KEY,
        "STONKS_S3_ENDPOINT": f"http://127.0.0.1:{_closed_port()}",  # nothing listens there
        "STONKS_S3_ACCESS_KEY": "key",
        "STONKS_S3_SECRET_KEY": "secret",
        "STONKS_S3_BUCKET": "stonks-normalized",
    }


async def test_openapi_describes_every_route(postgres: Any, run_service: Any) -> None:
    service = run_service("query_api", _env(postgres))
    async with httpx.AsyncClient(base_url=service.base_url, timeout=10) as http:
        resp = await http.get("/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    served = {(method, path) for path, ops in paths.items() for method in ops}
    assert served - {("get", "/health"), ("get", "/ready")} == ROUTES


async def test_ready_names_the_unreachable_object_store(postgres: Any, run_service: Any) -> None:
    service = run_service("query_api", _env(postgres))
    async with httpx.AsyncClient(base_url=service.base_url, timeout=10) as http:
        health = await http.get("/health")
        ready = await http.get("/ready")
        raw = await http.get(f"/api/documents/{UNKNOWN_ID}/raw", headers=AUTH)
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "service": "query-api"}
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "ok", "object_store": "unavailable"}
    assert raw.status_code == 404  # the document is unknown before the store is asked


async def test_empty_database_gives_empty_lists_and_404s(postgres: Any, run_service: Any) -> None:
    service = run_service("query_api", _env(postgres))
    async with httpx.AsyncClient(base_url=service.base_url, headers=AUTH, timeout=10) as http:
        for path in ("/api/documents", "/api/trends", "/api/agents", "/api/saved-queries"):
            resp = await http.get(path)
            assert resp.status_code == 200, path
            assert resp.json() == [], path
        summary = await http.get("/api/ops/ingestion-summary")
        portfolio = await http.get("/api/portfolio")
        no_key = await http.get("/api/documents", headers={"X-API-Key": ""})
    assert summary.status_code == 200
    assert summary.json()["total_runs"] == 0
    assert summary.json()["last_run"] is None
    assert portfolio.status_code == 404
    assert portfolio.json() == {"detail": "no portfolio snapshot"}
    assert no_key.status_code == 401


async def test_sandbox_service_is_ready(sandbox_client: Any) -> None:
    http = sandbox_client("query-api", headers={})
    ready = await http.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "object_store": "ok"}
    openapi = await http.get("/openapi.json")
    assert openapi.status_code == 200
    assert "/api/documents/{document_id}/raw" in openapi.json()["paths"]
    assert (await http.get("/api/companies")).status_code == 401


async def test_sandbox_service_serves_seeded_data(query_client: Any, seed_ids: Any) -> None:
    resp = await query_client.get(f"/api/companies/{seed_ids['COMPANY_AAPL']}")
    assert resp.status_code == 200
    assert resp.json()["ticker"] == "AAPL"
