"""symbol-registry write paths: create/update/delete, validation, duplicates, competitor and
exposure CRUD, watchlists and members, registry events. Every test writes its own rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import seed_ids as S
from redis.asyncio import Redis
from streams import stream_event


def fresh_ticker() -> str:
    return "Z" + uuid.uuid4().hex[:8].upper()


async def create_company(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"ticker": fresh_ticker(), "name": "Write Path Test Co", **fields}
    resp = await client.post("/api/companies", json=body)
    assert resp.status_code == 201, resp.text
    company: dict[str, Any] = resp.json()
    return company


@pytest.fixture
async def company(registry_client: httpx.AsyncClient) -> AsyncIterator[dict[str, Any]]:
    """A company created for one test and deleted afterwards."""
    created = await create_company(registry_client, sector="Test Sector")
    yield created
    await registry_client.delete(f"/api/companies/{created['id']}")


@pytest.fixture
async def watchlist(registry_client: httpx.AsyncClient) -> AsyncIterator[dict[str, Any]]:
    """A watchlist created for one test and deleted afterwards."""
    resp = await registry_client.post(
        "/api/watchlists", json={"name": f"wl-{uuid.uuid4()}", "description": "test"}
    )
    assert resp.status_code == 201
    yield resp.json()
    await registry_client.delete(f"/api/watchlists/{resp.json()['id']}")


class TestRegistryCompanyWrites:
    async def test_create_company_returns_201_and_reads_back(
        self, registry_client: httpx.AsyncClient
    ) -> None:
        ticker = fresh_ticker()
        resp = await registry_client.post(
            "/api/companies",
            json={"ticker": ticker, "name": "Round Trip Inc.", "market_cap": 1234.5},
        )
        try:
            assert resp.status_code == 201
            created = resp.json()
            assert created["ticker"] == ticker
            assert created["market_cap"] == 1234.5
            assert created["is_active"] is True
            again = await registry_client.get(f"/api/companies/{created['id']}")
            assert again.status_code == 200
            assert again.json() == created
        finally:
            await registry_client.delete(f"/api/companies/{resp.json()['id']}")

    async def test_duplicate_ticker_is_409(self, registry_client: httpx.AsyncClient) -> None:
        resp = await registry_client.post("/api/companies", json={"ticker": "AAPL", "name": "x"})
        assert resp.status_code == 409
        assert "AAPL" in resp.json()["detail"]

    @pytest.mark.parametrize(
        "body",
        [
            {"ticker": "lower", "name": "Bad ticker"},
            {"ticker": "ZZOK"},
            {"ticker": "ZZOK", "name": ""},
            {"ticker": "ZZOK", "name": "x", "market_cap": -1},
            {"ticker": "ZZOK", "name": "x", "unexpected": 1},
        ],
        ids=["lowercase-ticker", "missing-name", "empty-name", "negative-cap", "extra-field"],
    )
    async def test_invalid_company_body_is_422(
        self, registry_client: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        resp = await registry_client.post("/api/companies", json=body)
        assert resp.status_code == 422
        assert isinstance(resp.json()["detail"], list)

    async def test_update_company_changes_only_sent_fields(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any], redis: Redis
    ) -> None:
        resp = await registry_client.patch(
            f"/api/companies/{company['id']}", json={"name": "Renamed Co", "sector": None}
        )
        assert resp.status_code == 200
        body = resp.json()
        assert body["name"] == "Renamed Co"
        assert body["sector"] is None
        assert body["ticker"] == company["ticker"]
        assert body["updated_at"] > company["updated_at"]
        event = await stream_event(
            redis, "stonks.registry.company_updated", "company_id", company["id"]
        )
        assert event is not None
        assert event["payload"]["fields"] == ["name", "sector"]

    async def test_update_to_taken_ticker_is_409_and_null_name_is_422(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any]
    ) -> None:
        taken = await registry_client.patch(
            f"/api/companies/{company['id']}", json={"ticker": "MSFT"}
        )
        assert taken.status_code == 409
        null = await registry_client.patch(f"/api/companies/{company['id']}", json={"name": None})
        assert null.status_code == 422

    async def test_delete_company_then_404(self, registry_client: httpx.AsyncClient) -> None:
        created = await create_company(registry_client)
        resp = await registry_client.delete(f"/api/companies/{created['id']}")
        assert resp.status_code == 204
        assert (await registry_client.get(f"/api/companies/{created['id']}")).status_code == 404
        again = await registry_client.delete(f"/api/companies/{created['id']}")
        assert again.status_code == 404

    async def test_delete_company_with_trading_history_is_409(
        self, registry_client: httpx.AsyncClient
    ) -> None:
        resp = await registry_client.delete(f"/api/companies/{S.COMPANY_AAPL}")
        assert resp.status_code == 409
        still = await registry_client.get(f"/api/companies/{S.COMPANY_AAPL}")
        assert still.status_code == 200

    async def test_create_publishes_company_created_event(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any], redis: Redis
    ) -> None:
        event = await stream_event(
            redis, "stonks.registry.company_created", "company_id", company["id"]
        )
        assert event is not None
        assert event["domain"] == "registry"
        assert event["payload"]["ticker"] == company["ticker"]


class TestRegistryAliasesAndSources:
    async def test_alias_add_list_duplicate_delete(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any]
    ) -> None:
        base = f"/api/companies/{company['id']}/aliases"
        resp = await registry_client.post(base, json={"alias": "Widgets", "alias_type": "brand"})
        assert resp.status_code == 201
        alias = resp.json()
        assert (alias["alias"], alias["alias_type"]) == ("Widgets", "brand")
        duplicate = await registry_client.post(base, json={"alias": "Widgets"})
        assert duplicate.status_code == 409
        listed = await registry_client.get(base)
        assert [row["id"] for row in listed.json()] == [alias["id"]]
        assert (await registry_client.delete(f"{base}/{alias['id']}")).status_code == 204
        assert (await registry_client.delete(f"{base}/{alias['id']}")).status_code == 404
        assert (await registry_client.get(base)).json() == []

    async def test_same_alias_on_another_company_is_allowed(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any]
    ) -> None:
        resp = await registry_client.post(
            f"/api/companies/{company['id']}/aliases", json={"alias": "Apple"}
        )
        assert resp.status_code == 201
        assert resp.json()["company_id"] == company["id"]

    async def test_alias_with_bad_type_is_422_and_unknown_company_404(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any]
    ) -> None:
        bad = await registry_client.post(
            f"/api/companies/{company['id']}/aliases", json={"alias": "x", "alias_type": "nick"}
        )
        assert bad.status_code == 422
        missing = await registry_client.post(
            f"/api/companies/{uuid.uuid4()}/aliases", json={"alias": "x"}
        )
        assert missing.status_code == 404

    async def test_source_add_duplicate_delete(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any]
    ) -> None:
        base = f"/api/companies/{company['id']}/sources"
        body = {"source_type": "rss", "name": "Feed", "url": "https://feed.example.com/rss"}
        resp = await registry_client.post(base, json=body)
        assert resp.status_code == 201
        assert resp.json()["source_type"] == "rss"
        assert (await registry_client.post(base, json=body)).status_code == 409
        assert (await registry_client.delete(f"{base}/{resp.json()['id']}")).status_code == 204
        assert (await registry_client.get(base)).json() == []


class TestRegistryCompetitors:
    async def test_add_list_delete_competitor(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any]
    ) -> None:
        base = f"/api/companies/{company['id']}/competitors"
        resp = await registry_client.post(
            base,
            json={
                "competitor_id": S.COMPANY_NVDA,
                "relationship_type": "supplier",
                "strength": 0.25,
            },
        )
        assert resp.status_code == 201
        rel = resp.json()
        assert rel["competitor_ticker"] == "NVDA"
        assert (rel["relationship_type"], rel["strength"]) == ("supplier", 0.25)
        listed = await registry_client.get(base)
        assert [row["id"] for row in listed.json()] == [rel["id"]]
        assert (await registry_client.delete(f"{base}/{rel['id']}")).status_code == 204
        assert (await registry_client.get(base)).json() == []

    async def test_self_competitor_is_400(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any]
    ) -> None:
        resp = await registry_client.post(
            f"/api/companies/{company['id']}/competitors", json={"competitor_id": company["id"]}
        )
        assert resp.status_code == 400
        assert "own competitor" in resp.json()["detail"]

    async def test_duplicate_competitor_is_409(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any]
    ) -> None:
        base = f"/api/companies/{company['id']}/competitors"
        first = await registry_client.post(base, json={"competitor_id": S.COMPANY_MSFT})
        assert first.status_code == 201
        second = await registry_client.post(base, json={"competitor_id": S.COMPANY_MSFT})
        assert second.status_code == 409

    async def test_unknown_competitor_404_and_bad_strength_422(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any]
    ) -> None:
        base = f"/api/companies/{company['id']}/competitors"
        missing = await registry_client.post(base, json={"competitor_id": str(uuid.uuid4())})
        assert missing.status_code == 404
        bad = await registry_client.post(
            base, json={"competitor_id": S.COMPANY_MSFT, "strength": 1.5}
        )
        assert bad.status_code == 422


class TestRegistryExposure:
    async def test_put_then_get_round_trip(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any]
    ) -> None:
        url = f"/api/companies/{company['id']}/exposure"
        assert (await registry_client.get(url)).json() == []
        entries = [
            {
                "exposure_type": "region",
                "exposure_key": "Europe",
                "weight": 0.3,
                "sensitivity": -0.1,
            },
            {"exposure_type": "commodity", "exposure_key": "Copper", "weight": 0.05},
        ]
        resp = await registry_client.put(url, json=entries)
        assert resp.status_code == 200
        assert [(r["exposure_type"], r["exposure_key"], r["weight"]) for r in resp.json()] == [
            ("commodity", "Copper", 0.05),
            ("region", "Europe", 0.3),
        ]
        again = await registry_client.get(url)
        assert again.json() == resp.json()

    async def test_put_replaces_and_empty_clears(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any]
    ) -> None:
        url = f"/api/companies/{company['id']}/exposure"
        first = [{"exposure_type": "sector", "exposure_key": "Retail", "weight": 0.5}]
        second = [{"exposure_type": "currency", "exposure_key": "EUR", "weight": 0.2}]
        assert (await registry_client.put(url, json=first)).status_code == 200
        resp = await registry_client.put(url, json=second)
        assert [r["exposure_key"] for r in resp.json()] == ["EUR"]
        cleared = await registry_client.put(url, json=[])
        assert cleared.status_code == 200
        assert cleared.json() == []

    async def test_invalid_exposure_is_rejected(
        self, registry_client: httpx.AsyncClient, company: dict[str, Any]
    ) -> None:
        url = f"/api/companies/{company['id']}/exposure"
        entry = {"exposure_type": "region", "exposure_key": "Asia", "weight": 0.1}
        duplicate = await registry_client.put(url, json=[entry, entry])
        assert duplicate.status_code == 400
        too_heavy = await registry_client.put(url, json=[{**entry, "weight": 2}])
        assert too_heavy.status_code == 422
        bad_type = await registry_client.put(url, json=[{**entry, "exposure_type": "planet"}])
        assert bad_type.status_code == 422
        missing = await registry_client.get(f"/api/companies/{uuid.uuid4()}/exposure")
        assert missing.status_code == 404


class TestRegistryWatchlistWrites:
    async def test_create_get_update_delete_watchlist(
        self, registry_client: httpx.AsyncClient
    ) -> None:
        name = f"wl-{uuid.uuid4()}"
        resp = await registry_client.post("/api/watchlists", json={"name": name})
        assert resp.status_code == 201
        created = resp.json()
        assert (created["name"], created["owner"], created["member_count"]) == (
            name,
            "operator",
            0,
        )
        patched = await registry_client.patch(
            f"/api/watchlists/{created['id']}", json={"description": "updated"}
        )
        assert patched.status_code == 200
        assert patched.json()["description"] == "updated"
        assert (await registry_client.delete(f"/api/watchlists/{created['id']}")).status_code == 204
        assert (await registry_client.get(f"/api/watchlists/{created['id']}")).status_code == 404

    async def test_duplicate_watchlist_name_is_409(
        self, registry_client: httpx.AsyncClient, watchlist: dict[str, Any]
    ) -> None:
        resp = await registry_client.post("/api/watchlists", json={"name": watchlist["name"]})
        assert resp.status_code == 409
        renamed = await registry_client.patch(
            f"/api/watchlists/{watchlist['id']}", json={"name": "Mega-cap tech"}
        )
        assert renamed.status_code == 409

    async def test_members_add_duplicate_remove(
        self, registry_client: httpx.AsyncClient, watchlist: dict[str, Any]
    ) -> None:
        base = f"/api/watchlists/{watchlist['id']}/members"
        resp = await registry_client.post(base, json={"company_id": S.COMPANY_TSLA})
        assert resp.status_code == 201
        assert (resp.json()["ticker"], resp.json()["watchlist_id"]) == ("TSLA", watchlist["id"])
        duplicate = await registry_client.post(base, json={"company_id": S.COMPANY_TSLA})
        assert duplicate.status_code == 409
        got = await registry_client.get(f"/api/watchlists/{watchlist['id']}")
        assert got.json()["member_count"] == 1
        removed = await registry_client.delete(f"{base}/{S.COMPANY_TSLA}")
        assert removed.status_code == 204
        assert (await registry_client.get(base)).json() == []
        assert (await registry_client.delete(f"{base}/{S.COMPANY_TSLA}")).status_code == 404

    async def test_member_with_unknown_company_is_404_and_bad_id_422(
        self, registry_client: httpx.AsyncClient, watchlist: dict[str, Any]
    ) -> None:
        base = f"/api/watchlists/{watchlist['id']}/members"
        missing = await registry_client.post(base, json={"company_id": str(uuid.uuid4())})
        assert missing.status_code == 404
        bad = await registry_client.post(base, json={"company_id": "not-a-uuid"})
        assert bad.status_code == 422
