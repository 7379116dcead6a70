"""Cross-service consistency: write through one service, read through another.

Each test registers its own company (fresh ticker) in symbol-registry, so nothing seeded
changes; the seeded TSLA lockout is only read.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import seed_ids as ids


def fresh_ticker() -> str:
    return f"X{uuid.uuid4().hex[:7].upper()}"


async def register(registry_client: httpx.AsyncClient) -> dict[str, Any]:
    """A new company created through symbol-registry."""
    ticker = fresh_ticker()
    body = {
        "ticker": ticker,
        "name": f"Roundtrip {ticker} Corp",
        "sector": "Technology",
        "exchange": "NASDAQ",
        "market_cap": 1234567.0,
    }
    resp = await registry_client.post("/api/companies", json=body)
    assert resp.status_code == 201, resp.text
    company: dict[str, Any] = resp.json()
    return company


async def force(trading_client: httpx.AsyncClient, ticker: str) -> httpx.Response:
    body = {
        "action": "force_decision",
        "ticker": ticker,
        "decision_action": "buy",
        "quantity": 1,
        "reason": "cross-service",
        "operator": "it",
    }
    return await trading_client.post("/api/trading/override", json=body)


class TestCrossServiceRoundtrip:
    async def test_company_created_in_registry_is_read_by_query_api(
        self, registry_client: httpx.AsyncClient, query_client: httpx.AsyncClient
    ) -> None:
        company = await register(registry_client)
        resp = await query_client.get(f"/api/companies/{company['id']}")
        assert resp.status_code == 200
        read = resp.json()
        for field in ("id", "ticker", "name", "sector", "exchange", "market_cap", "is_active"):
            assert read[field] == company[field], field
        assert read["market_cap"] == 1234567.0

    async def test_risk_evaluate_rejects_the_seeded_locked_out_symbol(
        self, risk_client: httpx.AsyncClient, query_client: httpx.AsyncClient
    ) -> None:
        body = {
            "ticker": "TSLA",
            "side": "sell",
            "quantity": 20,
            "price": 230.0,
            "request_approval": False,
        }
        resp = await risk_client.post("/api/risk/evaluate", json=body)
        assert resp.status_code == 200
        result = resp.json()
        assert result["decision"] == "rejected"
        assert result["approved"] is False
        assert result["company_id"] == ids.COMPANY_TSLA
        checks = {c["name"]: c["outcome"] for c in result["checks"]}
        assert checks["symbol_lockout"] == "reject"
        company = await query_client.get(f"/api/companies/{result['company_id']}")
        assert company.status_code == 200
        assert company.json()["ticker"] == "TSLA"

    async def test_lockout_set_in_risk_engine_blocks_trading_engine_overrides(
        self,
        registry_client: httpx.AsyncClient,
        risk_client: httpx.AsyncClient,
        trading_client: httpx.AsyncClient,
    ) -> None:
        ticker = (await register(registry_client))["ticker"]
        lockout = await risk_client.post(
            "/api/risk/lockouts", json={"ticker": ticker, "reason": "cross-service test"}
        )
        assert lockout.status_code == 201, lockout.text
        blocked = await force(trading_client, ticker)
        assert blocked.status_code == 400
        assert blocked.json() == {"detail": f"symbol locked out: {ticker}"}
        lifted = await risk_client.post(f"/api/risk/lockouts/{lockout.json()['id']}/lift")
        assert lifted.status_code == 200
        allowed = await force(trading_client, ticker)
        assert allowed.status_code == 200
        assert allowed.json()["decision"]["ticker"] == ticker

    async def test_trading_decision_for_a_registered_company_is_listed(
        self, registry_client: httpx.AsyncClient, trading_client: httpx.AsyncClient
    ) -> None:
        company = await register(registry_client)
        forced = await force(trading_client, company["ticker"])
        assert forced.status_code == 200
        resp = await trading_client.get(
            "/api/trading/decisions", params={"ticker": company["ticker"]}
        )
        assert resp.status_code == 200
        (decision,) = resp.json()
        assert decision["id"] == forced.json()["decision"]["id"]
        assert decision["company_id"] == company["id"]
        assert (decision["action"], decision["status"], decision["quantity"]) == (
            "buy",
            "pending",
            1.0,
        )

    async def test_backtest_of_a_company_without_bars_is_flat(
        self, registry_client: httpx.AsyncClient, trading_client: httpx.AsyncClient
    ) -> None:
        ticker = (await register(registry_client))["ticker"]
        body = {"start_date": "2026-01-05", "end_date": "2026-01-09", "tickers": [ticker]}
        resp = await trading_client.post("/api/trading/backtest", json=body)
        assert resp.status_code == 200
        result = resp.json()
        assert result["bars_used"] == 0
        assert result["final_value"] == 100000.0
        assert [(t["ticker"], t["signal"], t["quantity"]) for t in result["trades"]] == [
            (ticker, "flat", 0)
        ]
