"""query-api core reads (FR-4): companies, documents, trends, recommendations, orders,
positions, macro events, pipeline health, ingestion summary, coverage gaps, agents, variants.

Lists may hold rows other modules create while this one runs (under ``pytest -n 2``), so list
tests check the seeded rows inside them exactly; details are compared field by field.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import httpx
import seed_ids as S


def dec(value: Any) -> Decimal:
    """A JSON number (or decimal string) as a Decimal, for exact comparison with seeds."""
    return Decimal(str(value))


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in rows}


class TestQueryAPICompanies:
    async def test_list_companies_holds_seeded_companies(
        self, query_client: httpx.AsyncClient
    ) -> None:
        resp = await query_client.get("/api/companies")
        assert resp.status_code == 200
        rows = by_id(resp.json())
        for ticker, company_id in S.SEED_COMPANY_IDS.items():
            company = rows[company_id]
            assert company["ticker"] == ticker
            assert company["name"] == S.SEED_COMPANY_NAMES[ticker]
            assert company["sector"] == S.SEED_COMPANY_SECTORS[ticker]
        seeded = [r["ticker"] for r in resp.json() if r["id"] in S.SEED_COMPANY_IDS.values()]
        assert seeded == list(S.SEED_TICKERS)

    async def test_filter_companies_by_ticker(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/companies", params={"ticker": "NVDA"})
        assert resp.status_code == 200
        assert [c["id"] for c in resp.json()] == [S.COMPANY_NVDA]

    async def test_company_detail_has_aliases_and_competitors(
        self, query_client: httpx.AsyncClient
    ) -> None:
        resp = await query_client.get(f"/api/companies/{S.COMPANY_AAPL}")
        assert resp.status_code == 200
        body = resp.json()
        assert body["ticker"] == "AAPL"
        assert body["is_active"] is True
        assert tuple(a["alias"] for a in body["aliases"]) == S.SEED_ALIASES["AAPL"]
        assert tuple(c["ticker"] for c in body["competitors"]) == S.SEED_COMPETITORS["AAPL"]
        assert len(body["sources"]) >= 1

    async def test_unknown_company_is_404(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/companies/00000000-0000-4000-a100-000000009999")
        assert resp.status_code == 404
        assert "not found" in resp.json()["detail"]


class TestQueryAPIDocuments:
    async def test_list_documents_in_seed_window(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get(
            "/api/documents",
            params={"published_from": S.SEED_WINDOW_START, "published_to": S.SEED_WINDOW_END},
        )
        assert resp.status_code == 200
        docs = resp.json()
        assert len(docs) == S.SEED_ROW_COUNTS["documents"]
        assert {d["id"] for d in docs} == set(S.SEED_DOCUMENT_IDS.values())
        published = [d["published_at"] for d in docs]
        assert published == sorted(published, reverse=True)
        for key, doc_id in S.SEED_DOCUMENT_IDS.items():
            assert by_id(docs)[doc_id]["doc_type"] == S.SEED_DOCUMENT_TYPES[key]

    async def test_document_detail_has_extraction_record(
        self, query_client: httpx.AsyncClient
    ) -> None:
        resp = await query_client.get(f"/api/documents/{S.DOCUMENT_01}")
        assert resp.status_code == 200
        doc = resp.json()
        assert doc["ticker"] == "AAPL"
        assert doc["s3_key"] == S.SEED_DOCUMENT_S3_KEYS["DOC_01"]
        [record] = doc["extraction_records"]
        assert record["id"] == S.EXTRACTION_01
        assert record["sentiment"] == "positive"
        assert dec(record["confidence"]) == Decimal("0.810")
        assert record["entities"][0]["ticker"] == "AAPL"

    async def test_document_raw_body_from_object_store(
        self, query_client: httpx.AsyncClient
    ) -> None:
        resp = await query_client.get(f"/api/documents/{S.DOCUMENT_06}/raw")
        assert resp.status_code == 200
        raw = resp.json()
        assert raw["bucket"] == S.SEED_S3_BUCKET
        assert raw["s3_key"] == S.SEED_DOCUMENT_S3_KEYS["DOC_06"]
        digest = hashlib.sha256(raw["body"].encode("utf-8")).hexdigest()
        assert raw["content_hash"] == f"sha256:{digest}"
        body = json.loads(raw["body"])
        assert body["document_id"] == S.DOCUMENT_06
        assert body["doc_type"] == "filing"


class TestQueryAPITrends:
    async def test_list_trends_directions(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/trends")
        assert resp.status_code == 200
        rows = by_id(resp.json())
        for ticker, trend_id in S.SEED_TREND_IDS.items():
            assert rows[trend_id]["ticker"] == ticker
            assert rows[trend_id]["direction"] == S.SEED_TREND_DIRECTIONS[ticker]
            assert rows[trend_id]["window_start"] == S.SEED_TREND_WINDOW_START

    async def test_trend_detail_with_projection_and_evidence(
        self, query_client: httpx.AsyncClient
    ) -> None:
        resp = await query_client.get(f"/api/trends/{S.TREND_AAPL}")
        assert resp.status_code == 200
        trend = resp.json()
        assert trend["direction"] == "up"
        assert dec(trend["strength"]) == Decimal("0.640")
        [projection] = trend["projections"]
        assert projection["id"] == S.PROJECTION_AAPL
        assert dec(projection["projected_change_pct"]) == Decimal("1.8500")
        assert [e["id"] for e in trend["evidence"]] == [S.TREND_EVIDENCE_01, S.TREND_EVIDENCE_02]


class TestQueryAPIRecommendations:
    async def test_list_recommendations_actions_and_statuses(
        self, query_client: httpx.AsyncClient
    ) -> None:
        resp = await query_client.get("/api/recommendations")
        assert resp.status_code == 200
        rows = by_id(resp.json())
        for ticker, rec_id in S.SEED_RECOMMENDATION_IDS.items():
            assert rows[rec_id]["action"] == S.SEED_RECOMMENDATION_ACTIONS[ticker]
            assert rows[rec_id]["status"] == S.SEED_RECOMMENDATION_STATUSES[ticker]
            assert rows[rec_id]["created_at"] == S.SEED_RECOMMENDATION_CREATED_AT

    async def test_recommendation_detail_has_citations(
        self, query_client: httpx.AsyncClient
    ) -> None:
        resp = await query_client.get(f"/api/recommendations/{S.RECOMMENDATION_AAPL}")
        assert resp.status_code == 200
        rec = resp.json()
        assert rec["ticker"] == "AAPL"
        assert dec(rec["target_price"]) == Decimal("205.0000")
        assert [c["id"] for c in rec["citations"]] == [S.CITATION_01, S.CITATION_02]
        assert rec["citations"][0]["document_id"] == S.DOCUMENT_01


class TestQueryAPIOrders:
    async def test_list_orders_statuses(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/orders")
        assert resp.status_code == 200
        rows = by_id(resp.json())
        for key, order_id in S.SEED_ORDER_IDS.items():
            assert rows[order_id]["status"] == S.SEED_ORDER_STATUSES[key]
            assert rows[order_id]["ticker"] == S.SEED_ORDER_TICKERS[key]

    async def test_filter_orders_by_status(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/orders", params={"status": "cancelled"})
        assert resp.status_code == 200
        orders = resp.json()
        assert S.ORDER_CANCELLED in {o["id"] for o in orders}
        assert {o["status"] for o in orders} == {"cancelled"}

    async def test_order_detail_events_and_audit(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get(f"/api/orders/{S.ORDER_FILLED}")
        assert resp.status_code == 200
        order = resp.json()
        assert dec(order["filled_avg_price"]) == Decimal(S.ORDER_FILLED_PRICE)
        assert dec(order["filled_quantity"]) == Decimal(S.ORDER_FILLED_QUANTITY)
        assert [e["event_type"] for e in order["events"]] == ["submitted", "accepted", "filled"]
        assert len(order["audit"]) == S.SEED_ORDER_AUDIT_COUNTS["FILLED"]


class TestQueryAPIPositions:
    async def test_positions_with_pnl(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/positions")
        assert resp.status_code == 200
        rows = by_id(resp.json())
        for ticker, position_id in S.SEED_POSITION_IDS.items():
            position = rows[position_id]
            assert position["ticker"] == ticker
            assert dec(position["avg_cost"]) == Decimal(S.SEED_POSITION_AVG_COSTS[ticker])
            unrealized = Decimal(S.SEED_POSITION_UNREALIZED_PNL[ticker])
            realized = Decimal(S.SEED_POSITION_REALIZED_PNL[ticker])
            assert dec(position["unrealized_pnl"]) == unrealized
            assert dec(position["total_pnl"]) == realized + unrealized


class TestQueryAPIMacro:
    async def test_macro_events_and_impacts(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/macro/events")
        assert resp.status_code == 200
        rows = by_id(resp.json())
        for key, event_id in S.SEED_GLOBAL_EVENT_IDS.items():
            assert rows[event_id]["impact_count"] == len(S.SEED_MACRO_IMPACT_TICKERS[key])
        detail = await query_client.get(f"/api/macro/events/{S.GLOBAL_EVENT_02}")
        assert detail.status_code == 200
        tickers = {i["ticker"] for i in detail.json()["impacts"]}
        assert tickers == set(S.SEED_MACRO_IMPACT_TICKERS["EVENT_02"])


class TestQueryAPIOps:
    async def test_pipeline_health_stages(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/ops/pipeline-health")
        assert resp.status_code == 200
        stages = [s["stage"] for s in resp.json()]
        assert tuple(stages) == S.SEED_PIPELINE_STAGES
        extraction = resp.json()[2]
        assert extraction["id"] == S.PIPELINE_HEALTH_EXTRACTION
        assert extraction["status"] == "degraded"

    async def test_ingestion_summary(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/ops/ingestion-summary")
        assert resp.status_code == 200
        summary = resp.json()
        assert summary["completed_runs"] == 1
        assert summary["failed_runs"] == 1
        assert summary["total_runs"] == S.SEED_ROW_COUNTS["ingestion_runs"]
        assert summary["last_run"]["id"] == S.INGESTION_RUN_02
        assert summary["last_run"]["status"] == S.SEED_INGESTION_RUN_STATUSES["RUN_02"]

    async def test_coverage_gaps(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/ops/coverage-gaps")
        assert resp.status_code == 200
        gaps = by_id(resp.json())
        assert gaps[S.COVERAGE_GAP_01]["ticker"] == "AMZN"
        assert gaps[S.COVERAGE_GAP_01]["status"] == "open"
        assert gaps[S.COVERAGE_GAP_02]["status"] == "resolved"


class TestQueryAPIAgents:
    async def test_list_agents(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/agents")
        assert resp.status_code == 200
        rows = by_id(resp.json())
        for key, agent_id in S.SEED_AGENT_IDS.items():
            assert rows[agent_id]["name"] == S.SEED_AGENT_NAMES[key]
            assert rows[agent_id]["variant_count"] == 1

    async def test_agent_variants(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get(f"/api/agents/{S.AGENT_03}/variants")
        assert resp.status_code == 200
        [variant] = resp.json()
        assert variant["id"] == S.VARIANT_03
        assert variant["model"] == "qwen2.5:14b"
        assert variant["parameters"] == {"temperature": 0.3, "max_tokens": 512}
