"""symbol-registry read paths against the seeded sandbox: companies, children, watchlists."""

from __future__ import annotations

from typing import Any

import httpx
import seed_ids as S

from pytest_stonks_sandbox import ClientFactory

SEEDED = set(S.SEED_COMPANY_IDS.values())


def seeded_only(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of seeded companies (other tests may add companies while this module runs)."""
    return [row for row in rows if row["id"] in SEEDED]


class TestRegistryCompanies:
    async def test_list_companies_returns_seeded_companies_in_ticker_order(
        self, registry_client: httpx.AsyncClient
    ) -> None:
        resp = await registry_client.get("/api/companies", params={"limit": 500})
        assert resp.status_code == 200
        rows = seeded_only(resp.json())
        assert {"id", "ticker", "name", "sector", "is_active", "created_at"} <= set(rows[0])
        assert [row["ticker"] for row in rows] == sorted(S.SEED_TICKERS)
        assert {row["ticker"]: row["id"] for row in rows} == S.SEED_COMPANY_IDS

    async def test_get_company_by_id_returns_seeded_values(
        self, registry_client: httpx.AsyncClient
    ) -> None:
        resp = await registry_client.get(f"/api/companies/{S.COMPANY_AAPL}")
        assert resp.status_code == 200
        body = resp.json()
        assert body["id"] == S.COMPANY_AAPL
        assert body["ticker"] == "AAPL"
        assert body["name"] == S.SEED_COMPANY_NAMES["AAPL"]
        assert body["sector"] == S.SEED_COMPANY_SECTORS["AAPL"]
        assert body["industry"] == "Consumer Electronics"
        assert body["exchange"] == "NASDAQ"
        assert body["market_cap"] == 3400000000000.0
        assert body["is_active"] is True

    async def test_get_company_by_ticker(self, registry_client: httpx.AsyncClient) -> None:
        resp = await registry_client.get("/api/companies/by-ticker/NVDA")
        assert resp.status_code == 200
        assert resp.json()["id"] == S.COMPANY_NVDA
        assert resp.json()["name"] == S.SEED_COMPANY_NAMES["NVDA"]

    async def test_filter_companies_by_sector(self, registry_client: httpx.AsyncClient) -> None:
        resp = await registry_client.get(
            "/api/companies", params={"sector": "Consumer Cyclical", "limit": 500}
        )
        assert resp.status_code == 200
        assert all(row["sector"] == "Consumer Cyclical" for row in resp.json())
        assert [row["ticker"] for row in seeded_only(resp.json())] == ["AMZN", "TSLA"]

    async def test_search_companies_by_name_fragment(
        self, registry_client: httpx.AsyncClient
    ) -> None:
        resp = await registry_client.get("/api/companies", params={"q": "micro"})
        assert resp.status_code == 200
        assert [row["id"] for row in seeded_only(resp.json())] == [S.COMPANY_MSFT]

    async def test_unknown_company_is_404_json(self, registry_client: httpx.AsyncClient) -> None:
        missing = "00000000-0000-4000-a100-000000000999"
        resp = await registry_client.get(f"/api/companies/{missing}")
        assert resp.status_code == 404
        assert resp.headers["content-type"].startswith("application/json")
        assert missing in resp.json()["detail"]

    async def test_limit_above_maximum_is_422(self, registry_client: httpx.AsyncClient) -> None:
        resp = await registry_client.get("/api/companies", params={"limit": 501})
        assert resp.status_code == 422
        assert "detail" in resp.json()


class TestRegistryCompanyChildren:
    async def test_sources_of_aapl(self, registry_client: httpx.AsyncClient) -> None:
        resp = await registry_client.get(f"/api/companies/{S.COMPANY_AAPL}/sources")
        assert resp.status_code == 200
        rows = resp.json()
        assert [row["id"] for row in rows] == [S.SOURCE_01, S.SOURCE_02]
        assert [row["source_type"] for row in rows] == ["news", "filing"]
        assert rows[0]["url"] == "https://news.example.com/companies/aapl"

    async def test_sources_paginate(self, registry_client: httpx.AsyncClient) -> None:
        resp = await registry_client.get(
            f"/api/companies/{S.COMPANY_AAPL}/sources", params={"limit": 1, "offset": 1}
        )
        assert resp.status_code == 200
        assert [row["id"] for row in resp.json()] == [S.SOURCE_02]

    async def test_aliases_of_msft(self, registry_client: httpx.AsyncClient) -> None:
        resp = await registry_client.get(f"/api/companies/{S.COMPANY_MSFT}/aliases")
        assert resp.status_code == 200
        rows = resp.json()
        assert [(row["id"], row["alias"], row["alias_type"]) for row in rows] == [
            (S.ALIAS_03, "Microsoft", "name"),
            (S.ALIAS_04, "Azure", "brand"),
        ]

    async def test_competitors_of_aapl(self, registry_client: httpx.AsyncClient) -> None:
        resp = await registry_client.get(f"/api/companies/{S.COMPANY_AAPL}/competitors")
        assert resp.status_code == 200
        rows = resp.json()
        assert len(rows) == 1
        assert rows[0]["competitor_id"] == S.COMPANY_MSFT
        assert rows[0]["competitor_ticker"] == "MSFT"
        assert rows[0]["relationship_type"] == "direct"
        assert rows[0]["strength"] == 0.6

    async def test_exposure_profile_of_aapl(self, registry_client: httpx.AsyncClient) -> None:
        resp = await registry_client.get(f"/api/companies/{S.COMPANY_AAPL}/exposure")
        assert resp.status_code == 200
        rows = resp.json()
        assert [(r["exposure_type"], r["exposure_key"], r["weight"]) for r in rows] == [
            ("region", "Greater China", 0.19),
            ("supplier", "Contract manufacturing (Asia)", 0.6),
        ]
        assert [r["sensitivity"] for r in rows] == [-0.4, -0.3]


class TestRegistryWatchlists:
    async def test_list_watchlists_includes_seeded_in_creation_order(
        self, registry_client: httpx.AsyncClient
    ) -> None:
        resp = await registry_client.get("/api/watchlists", params={"limit": 500})
        assert resp.status_code == 200
        seeded = set(S.SEED_WATCHLIST_IDS.values())
        rows = [row for row in resp.json() if row["id"] in seeded]
        assert [(row["name"], row["member_count"]) for row in rows] == [
            ("Mega-cap tech", 2),
            ("AI infrastructure", 1),
        ]

    async def test_members_of_first_watchlist(self, registry_client: httpx.AsyncClient) -> None:
        wl = S.SEED_WATCHLIST_IDS["WL_01"]
        resp = await registry_client.get(f"/api/watchlists/{wl}/members")
        assert resp.status_code == 200
        assert [(row["company_id"], row["ticker"]) for row in resp.json()] == [
            (S.COMPANY_AAPL, "AAPL"),
            (S.COMPANY_MSFT, "MSFT"),
        ]


class TestRegistryHealth:
    async def test_health_and_ready(self, registry_client: httpx.AsyncClient) -> None:
        health = await registry_client.get("/health")
        ready = await registry_client.get("/ready")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "service": "symbol-registry"}
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}

    async def test_missing_api_key_is_401(self, sandbox_client: ClientFactory) -> None:
        async with sandbox_client("symbol-registry", headers={"X-API-Key": ""}) as client:
            resp = await client.get("/api/companies")
        assert resp.status_code == 401
        assert "detail" in resp.json()
