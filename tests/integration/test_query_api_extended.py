"""query-api extended (001): document filtering, evidence drill-down, trend projections,
macro / competitive / patterns, ops dashboard, agents CRUD, analytics, saved queries.

Writes create their own rows (fresh uuid4 names) and remove them; seeded rows are only read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import seed_ids as S

UNKNOWN_ID = "00000000-0000-4000-8000-00000000dead"


def dec(value: Any) -> Decimal:
    """A JSON number as a Decimal, for exact comparison with seeded decimal strings."""
    return Decimal(str(value))


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class TestQueryAPIDocumentFiltering:
    async def test_filter_documents_by_ticker(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/documents", params={"ticker": "MSFT"})
        assert resp.status_code == 200
        assert ids(resp.json()) == [S.DOCUMENT_10, S.DOCUMENT_02]
        assert {d["ticker"] for d in resp.json()} == {"MSFT"}

    async def test_filter_documents_by_doc_type(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/documents", params={"doc_type": "filing"})
        assert resp.status_code == 200
        assert ids(resp.json()) == [S.DOCUMENT_07, S.DOCUMENT_06]
        assert len(resp.json()) == S.SEED_DOC_TYPE_COUNTS["filing"]

    async def test_macro_documents_have_no_company(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/documents", params={"doc_type": "macro_event"})
        assert resp.status_code == 200
        assert set(ids(resp.json())) == {S.DOCUMENT_08, S.DOCUMENT_09}
        assert {(d["company_id"], d["ticker"]) for d in resp.json()} == {(None, None)}

    async def test_filter_documents_by_date_range(self, query_client: httpx.AsyncClient) -> None:
        params = {
            "published_from": "2026-01-06T00:00:00+00:00",
            "published_to": "2026-01-07T00:00:00Z",
        }
        resp = await query_client.get("/api/documents", params=params)
        assert resp.status_code == 200
        assert ids(resp.json()) == [S.DOCUMENT_06, S.DOCUMENT_08, S.DOCUMENT_05, S.DOCUMENT_04]

    async def test_filter_documents_by_ticker_and_type(
        self, query_client: httpx.AsyncClient
    ) -> None:
        resp = await query_client.get(
            "/api/documents", params={"ticker": "aapl", "doc_type": "filing"}
        )
        assert resp.status_code == 200
        assert ids(resp.json()) == [S.DOCUMENT_06]

    async def test_documents_paginate_without_overlap(
        self, query_client: httpx.AsyncClient
    ) -> None:
        window = {"published_from": S.SEED_WINDOW_START, "published_to": S.SEED_WINDOW_END}
        first = await query_client.get("/api/documents", params={**window, "limit": 4})
        second = await query_client.get(
            "/api/documents", params={**window, "limit": 4, "offset": 4}
        )
        assert first.status_code == second.status_code == 200
        assert len(first.json()) == len(second.json()) == 4
        assert not set(ids(first.json())) & set(ids(second.json()))

    async def test_document_filters_reject_bad_values(
        self, query_client: httpx.AsyncClient
    ) -> None:
        for params in ({"doc_type": "tweet"}, {"limit": 501}, {"limit": 0}, {"ticker": "??"}):
            resp = await query_client.get("/api/documents", params=params)
            assert resp.status_code == 422, params
            assert "detail" in resp.json()

    async def test_unknown_ticker_gives_empty_list(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/documents", params={"ticker": "ZZZZ"})
        assert resp.status_code == 200
        assert resp.json() == []

    async def test_document_extractions(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get(f"/api/documents/{S.DOCUMENT_07}/extractions")
        assert resp.status_code == 200
        [record] = resp.json()
        assert record["id"] == S.EXTRACTION_07
        assert record["sentiment"] == "mixed"
        assert [e["type"] for e in record["entities"]] == ["company", "product"]

    async def test_raw_body_missing_object_is_404(
        self, query_client: httpx.AsyncClient, db: asyncpg.Connection
    ) -> None:
        doc_id = uuid.uuid4()
        await db.execute(
            "INSERT INTO documents (id, doc_type, title, source, url, published_at, s3_key)"
            " VALUES ($1, 'news', 'query-api test: body never stored', 'tests', $2, $3, $4)",
            doc_id,
            f"https://tests.example.com/{doc_id}",
            dt.datetime(2001, 1, 1, tzinfo=dt.UTC),
            f"news/TEST/{doc_id}.json",
        )
        try:
            resp = await query_client.get(f"/api/documents/{doc_id}/raw")
            assert resp.status_code == 404
            assert f"{doc_id}.json" in resp.json()["detail"]
        finally:
            await db.execute("DELETE FROM documents WHERE id = $1", doc_id)

    async def test_raw_body_of_unknown_document_is_404(
        self, query_client: httpx.AsyncClient
    ) -> None:
        resp = await query_client.get(f"/api/documents/{UNKNOWN_ID}/raw")
        assert resp.status_code == 404
        assert resp.json()["detail"] == f"document {UNKNOWN_ID} not found"


class TestQueryAPIEvidenceDrillDown:
    async def test_evidence_by_document(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/evidence", params={"document_id": S.DOCUMENT_03})
        assert resp.status_code == 200
        [evidence] = resp.json()
        assert evidence["id"] == S.EVIDENCE_03
        assert evidence["evidence_type"] == "guidance"
        assert evidence["ticker"] == "NVDA"

    async def test_evidence_by_stance(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/evidence", params={"stance": "bearish"})
        assert resp.status_code == 200
        assert ids(resp.json()) == [S.EVIDENCE_09, S.EVIDENCE_07, S.EVIDENCE_05]

    async def test_evidence_by_ticker(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/evidence", params={"ticker": "TSLA"})
        assert resp.status_code == 200
        assert ids(resp.json()) == [S.EVIDENCE_05]
        assert dec(resp.json()[0]["relevance"]) == Decimal("0.750")

    async def test_evidence_drill_down(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get(f"/api/evidence/{S.EVIDENCE_01}")
        assert resp.status_code == 200
        body = resp.json()
        assert body["document"]["id"] == S.DOCUMENT_01
        assert body["extraction"]["id"] == S.EXTRACTION_01
        assert [t["id"] for t in body["trends"]] == [S.TREND_AAPL]
        [citation] = body["citations"]
        assert citation["id"] == S.CITATION_01
        assert citation["recommendation_id"] == S.RECOMMENDATION_AAPL

    async def test_unknown_evidence_is_404(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get(f"/api/evidence/{UNKNOWN_ID}")
        assert resp.status_code == 404
        assert "not found" in resp.json()["detail"]


class TestQueryAPITrendProjections:
    async def test_trend_projections(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get(f"/api/trends/{S.TREND_TSLA}/projections")
        assert resp.status_code == 200
        [projection] = resp.json()
        assert projection["id"] == S.PROJECTION_TSLA
        assert projection["projected_direction"] == "down"
        assert projection["horizon_days"] == 5
        assert dec(projection["projected_change_pct"]) == Decimal("-3.4000")

    async def test_trend_evidence_heaviest_first(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get(f"/api/trends/{S.TREND_MSFT}/evidence")
        assert resp.status_code == 200
        rows = resp.json()
        assert [r["document_id"] for r in rows] == [S.DOCUMENT_02, S.DOCUMENT_10]
        assert [dec(r["weight"]) for r in rows] == [Decimal("1.000"), Decimal("0.500")]

    async def test_filter_trends_by_direction(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/trends", params={"direction": "down"})
        assert resp.status_code == 200
        assert ids(resp.json()) == [S.TREND_TSLA]

    async def test_projections_of_unknown_trend_is_404(
        self, query_client: httpx.AsyncClient
    ) -> None:
        resp = await query_client.get(f"/api/trends/{UNKNOWN_ID}/projections")
        assert resp.status_code == 404
        assert "not found" in resp.json()["detail"]


class TestQueryAPIMacroCompetitive:
    async def test_macro_event_impacts_strongest_first(
        self, query_client: httpx.AsyncClient
    ) -> None:
        resp = await query_client.get(f"/api/macro/events/{S.GLOBAL_EVENT_01}/impacts")
        assert resp.status_code == 200
        assert [i["ticker"] for i in resp.json()] == ["TSLA", "AMZN", "MSFT", "AAPL"]
        assert dec(resp.json()[0]["impact_score"]) == Decimal("-0.200")

    async def test_macro_impacts_by_ticker(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/macro/impacts", params={"ticker": "AAPL"})
        assert resp.status_code == 200
        assert ids(resp.json()) == [S.MACRO_IMPACT_01, S.MACRO_IMPACT_06]

    async def test_macro_events_by_severity(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/macro/events", params={"severity": "high"})
        assert resp.status_code == 200
        [event] = resp.json()
        assert event["id"] == S.GLOBAL_EVENT_02
        assert event["source_document_id"] == S.DOCUMENT_09

    async def test_competitive_signals_pairs(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/competitive/signals")
        assert resp.status_code == 200
        pairs = {s["id"]: (s["ticker"], s["competitor_ticker"]) for s in resp.json()}
        assert pairs[S.COMPETITIVE_SIGNAL_01] == S.SEED_COMPETITIVE_SIGNAL_PAIRS["SIGNAL_01"]
        assert pairs[S.COMPETITIVE_SIGNAL_02] == S.SEED_COMPETITIVE_SIGNAL_PAIRS["SIGNAL_02"]

    async def test_competitive_signal_detail(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get(f"/api/competitive/signals/{S.COMPETITIVE_SIGNAL_01}")
        assert resp.status_code == 200
        signal = resp.json()
        assert signal["signal_type"] == "pricing"
        assert signal["relationship_id"] == S.COMPETITOR_03
        assert dec(signal["strength"]) == Decimal("0.550")
        missing = await query_client.get(f"/api/competitive/signals/{UNKNOWN_ID}")
        assert missing.status_code == 404

    async def test_historical_patterns(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/patterns", params={"ticker": "TSLA"})
        assert resp.status_code == 200
        [pattern] = resp.json()
        assert pattern["id"] == S.HISTORICAL_PATTERN_02
        assert pattern["pattern_type"] == "event_reaction"
        assert dec(pattern["avg_return_pct"]) == Decimal("-4.1200")
        detail = await query_client.get(f"/api/patterns/{S.HISTORICAL_PATTERN_01}")
        assert detail.status_code == 200
        assert detail.json()["occurrences"] == 12


class TestQueryAPIOpsDashboard:
    async def test_dashboard(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/ops/dashboard")
        assert resp.status_code == 200
        body = resp.json()
        assert body["pipeline"] == {"degraded": 1, "healthy": 4}
        assert body["open_coverage_gaps"] == 1
        assert body["ingestion"]["completed_runs"] == 1

    async def test_ingestion_summary_totals(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/ops/ingestion-summary")
        assert resp.status_code == 200
        summary = resp.json()
        assert summary["documents_fetched"] == 12
        assert summary["documents_stored"] == 10
        assert summary["error_count"] == 1
        assert summary["running_runs"] == 0
        assert dt.datetime.fromisoformat(summary["last_success_at"]) == dt.datetime(
            2026, 1, 9, 12, 2, tzinfo=dt.UTC
        )

    async def test_failed_ingestion_runs(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/ops/ingestion-runs", params={"status": "failed"})
        assert resp.status_code == 200
        [run] = resp.json()
        assert run["id"] == S.INGESTION_RUN_02
        assert run["error_message"] == "upstream returned HTTP 503"
        detail = await query_client.get(f"/api/ops/ingestion-runs/{S.INGESTION_RUN_01}")
        assert detail.status_code == 200
        assert detail.json()["source"] == "synthetic-newswire"

    async def test_open_coverage_gaps(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/ops/coverage-gaps", params={"status": "open"})
        assert resp.status_code == 200
        [gap] = resp.json()
        assert gap["id"] == S.COVERAGE_GAP_01
        assert gap["gap_type"] == "missing_filings"

    async def test_portfolio_snapshot(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/portfolio")
        assert resp.status_code == 200
        snapshot = resp.json()
        assert snapshot["id"] == S.PORTFOLIO_SNAPSHOT_01
        assert dec(snapshot["total_value"]) == Decimal(S.SEED_PORTFOLIO_TOTAL_VALUE)
        assert dec(snapshot["cash"]) == Decimal(S.SEED_PORTFOLIO_CASH)
        assert dec(snapshot["positions_value"]) == Decimal(S.SEED_PORTFOLIO_POSITIONS_VALUE)
        assert set(S.SEED_POSITION_IDS.values()) <= set(ids(snapshot["positions"]))


class TestQueryAPIAgentsCRUD:
    async def _create(self, query_client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
        body = {"name": unique("qa-agent"), "agent_type": "macro_analyst", "default_model": "m1"}
        resp = await query_client.post("/api/agents", json={**body, **fields})
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    async def test_create_get_delete_agent(self, query_client: httpx.AsyncClient) -> None:
        agent = await self._create(query_client, description="made by a test")
        assert agent["status"] == "active"
        assert agent["variant_count"] == 0
        got = await query_client.get(f"/api/agents/{agent['id']}")
        assert got.status_code == 200
        assert got.json()["name"] == agent["name"]
        assert got.json()["variants"] == []
        deleted = await query_client.delete(f"/api/agents/{agent['id']}")
        assert deleted.status_code == 204
        gone = await query_client.get(f"/api/agents/{agent['id']}")
        assert gone.status_code == 404

    async def test_duplicate_agent_name_is_409(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.post(
            "/api/agents",
            json={
                "name": S.SEED_AGENT_NAMES["AGENT_01"],
                "agent_type": "extractor",
                "default_model": "m1",
            },
        )
        assert resp.status_code == 409
        assert "detail" in resp.json()

    async def test_invalid_agent_bodies_are_422(self, query_client: httpx.AsyncClient) -> None:
        bodies = (
            {"name": "x", "agent_type": "oracle", "default_model": "m"},
            {"name": "x", "agent_type": "extractor"},
            {"name": "x", "agent_type": "extractor", "default_model": "m", "extra": 1},
            {"name": "", "agent_type": "extractor", "default_model": "m"},
        )
        for body in bodies:
            resp = await query_client.post("/api/agents", json=body)
            assert resp.status_code == 422, body

    async def test_update_agent(self, query_client: httpx.AsyncClient) -> None:
        agent = await self._create(query_client)
        try:
            resp = await query_client.patch(
                f"/api/agents/{agent['id']}", json={"status": "paused", "description": "later"}
            )
            assert resp.status_code == 200
            assert resp.json()["status"] == "paused"
            assert resp.json()["description"] == "later"
            assert resp.json()["name"] == agent["name"]
            null_name = await query_client.patch(f"/api/agents/{agent['id']}", json={"name": None})
            assert null_name.status_code == 422
        finally:
            await query_client.delete(f"/api/agents/{agent['id']}")

    async def test_update_or_delete_unknown_agent_is_404(
        self, query_client: httpx.AsyncClient
    ) -> None:
        patched = await query_client.patch(f"/api/agents/{UNKNOWN_ID}", json={"status": "paused"})
        assert patched.status_code == 404
        deleted = await query_client.delete(f"/api/agents/{UNKNOWN_ID}")
        assert deleted.status_code == 404

    async def test_create_variant_and_duplicate(self, query_client: httpx.AsyncClient) -> None:
        agent = await self._create(query_client)
        try:
            variant = {
                "name": "challenger",
                "model": "m2",
                "prompt_version": "v1",
                "parameters": {"temperature": 0.5},
                "traffic_weight": 0.25,
            }
            created = await query_client.post(f"/api/agents/{agent['id']}/variants", json=variant)
            assert created.status_code == 201
            assert created.json()["agent_id"] == agent["id"]
            assert dec(created.json()["traffic_weight"]) == Decimal("0.25")
            again = await query_client.post(f"/api/agents/{agent['id']}/variants", json=variant)
            assert again.status_code == 409
            listed = await query_client.get(f"/api/agents/{agent['id']}/variants")
            assert ids(listed.json()) == [created.json()["id"]]
        finally:
            await query_client.delete(f"/api/agents/{agent['id']}")

    async def test_variant_detail(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get(f"/api/variants/{S.VARIANT_01}")
        assert resp.status_code == 200
        assert resp.json()["agent_id"] == S.AGENT_01
        assert resp.json()["prompt_version"] == "v3"
        missing = await query_client.get(f"/api/variants/{UNKNOWN_ID}")
        assert missing.status_code == 404

    async def test_agent_performance_logs(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get(f"/api/agents/{S.AGENT_01}/performance")
        assert resp.status_code == 200
        assert ids(resp.json()) == [S.AGENT_PERF_LOG_02, S.AGENT_PERF_LOG_01]
        assert resp.json()[0]["task_count"] == 58
        assert dec(resp.json()[0]["accuracy"]) == Decimal("0.840")


class TestQueryAPIAnalytics:
    async def test_summary_counts(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/analytics/summary")
        assert resp.status_code == 200
        body = resp.json()
        counts = body["documents_by_type"]
        assert counts["filing"] == S.SEED_DOC_TYPE_COUNTS["filing"]
        assert counts["macro_event"] == S.SEED_DOC_TYPE_COUNTS["macro_event"]
        # test_raw_body_missing_object_is_404 may hold one extra news row on the other worker.
        assert counts["news"] - S.SEED_DOC_TYPE_COUNTS["news"] in (0, 1)
        assert body["trends_by_direction"] == {"down": 1, "flat": 1, "up": 3}
        assert body["recommendations_by_action"] == {"buy": 3, "hold": 1, "sell": 1}
        assert dec(body["avg_extraction_confidence"]) == Decimal("0.82")
        assert body["extraction_count"] == S.SEED_ROW_COUNTS["extraction_records"]

    async def test_sentiment_by_company(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/analytics/sentiment")
        assert resp.status_code == 200
        rows = {r["ticker"]: r for r in resp.json()}
        assert rows["AAPL"]["extraction_count"] == 2
        assert dec(rows["AAPL"]["avg_sentiment_score"]) == Decimal("0.275")
        assert dec(rows["TSLA"]["avg_sentiment_score"]) == Decimal("-0.6")

    async def test_agent_performance_totals(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/analytics/agents")
        assert resp.status_code == 200
        rows = {r["agent_id"]: r for r in resp.json()}
        extractor = rows[S.AGENT_01]
        assert (extractor["task_count"], extractor["success_count"]) == (115, 112)
        assert dec(extractor["success_rate"]) == Decimal("0.9739")
        assert dec(extractor["total_cost_usd"]) == Decimal("0.36")


class TestQueryAPISavedQueries:
    async def test_list_and_get_seeded_query(self, query_client: httpx.AsyncClient) -> None:
        resp = await query_client.get("/api/saved-queries")
        assert resp.status_code == 200
        assert S.SAVED_QUERY_01 in ids(resp.json())
        got = await query_client.get(f"/api/saved-queries/{S.SAVED_QUERY_01}")
        assert got.status_code == 200
        assert got.json()["name"] == S.SAVED_QUERY_01_NAME
        assert got.json()["parameters"] == {"doc_type": "filing", "limit": 20}

    async def test_saved_query_round_trip(self, query_client: httpx.AsyncClient) -> None:
        name = unique("qa-query")
        body = {"name": name, "target": "/api/trends", "parameters": {"direction": "up"}}
        created = await query_client.post("/api/saved-queries", json=body)
        assert created.status_code == 201
        query_id = created.json()["id"]
        assert created.json()["created_by"] == "operator"
        updated = await query_client.patch(
            f"/api/saved-queries/{query_id}", json={"parameters": {"direction": "down"}}
        )
        assert updated.status_code == 200
        assert updated.json()["parameters"] == {"direction": "down"}
        assert updated.json()["name"] == name
        deleted = await query_client.delete(f"/api/saved-queries/{query_id}")
        assert deleted.status_code == 204
        gone = await query_client.get(f"/api/saved-queries/{query_id}")
        assert gone.status_code == 404

    async def test_duplicate_saved_query_is_409(self, query_client: httpx.AsyncClient) -> None:
        body = {"name": S.SAVED_QUERY_01_NAME, "target": "/api/documents"}
        resp = await query_client.post("/api/saved-queries", json=body)
        assert resp.status_code == 409
        created = await query_client.post(
            "/api/saved-queries", json={"name": unique("qa-query"), "target": "/api/orders"}
        )
        assert created.status_code == 201
        try:
            renamed = await query_client.patch(
                f"/api/saved-queries/{created.json()['id']}",
                json={"name": S.SAVED_QUERY_01_NAME},
            )
            assert renamed.status_code == 409
        finally:
            await query_client.delete(f"/api/saved-queries/{created.json()['id']}")

    async def test_invalid_saved_query_is_422(self, query_client: httpx.AsyncClient) -> None:
        bodies = (
            {"name": "no target"},
            {"name": "bad target", "target": "https://elsewhere"},
            {"name": "bad params", "target": "/api/documents", "parameters": [1, 2]},
            {"name": "extra", "target": "/api/documents", "owner": "me"},
        )
        for body in bodies:
            resp = await query_client.post("/api/saved-queries", json=body)
            assert resp.status_code == 422, body
        bad_id = await query_client.get("/api/saved-queries/not-a-uuid")
        assert bad_id.status_code == 422

    async def test_unknown_saved_query_is_404(self, query_client: httpx.AsyncClient) -> None:
        for method in ("get", "delete"):
            resp = await getattr(query_client, method)(f"/api/saved-queries/{UNKNOWN_ID}")
            assert resp.status_code == 404, method
        patched = await query_client.patch(
            f"/api/saved-queries/{UNKNOWN_ID}", json={"description": "x"}
        )
        assert patched.status_code == 404
