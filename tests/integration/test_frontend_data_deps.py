"""FR-5 data dependencies of the 17 frontend pages, served by query-api.

For every page, each API call it makes returns 200 with non-empty data, the fields the page
renders are present, and one seeded value is exactly what the seed data says.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import seed_ids as S


@dataclass(frozen=True)
class Dep:
    """One API call of a page: its path and query, fields every item has, one seeded value."""

    page: str
    path: str
    fields: tuple[str, ...]
    expect: tuple[str | None, str, Any]  # (id of the list item or None for an object, field, value)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.page}:{self.path}" + (f"?{query}" if query else "")


DEPS = (
    Dep(
        "dashboard",
        "/api/portfolio",
        ("total_value", "cash", "positions"),
        (None, "id", S.PORTFOLIO_SNAPSHOT_01),
    ),
    Dep(
        "dashboard",
        "/api/recommendations",
        ("ticker", "action", "confidence"),
        (S.RECOMMENDATION_NVDA, "action", "buy"),
        {"status": "active"},
    ),
    Dep(
        "dashboard",
        "/api/ops/dashboard",
        ("pipeline", "ingestion", "open_coverage_gaps"),
        (None, "open_coverage_gaps", 1),
    ),
    Dep(
        "companies",
        "/api/companies",
        ("id", "ticker", "name", "sector"),
        (S.COMPANY_TSLA, "ticker", "TSLA"),
    ),
    Dep(
        "company-detail",
        f"/api/companies/{S.COMPANY_MSFT}",
        ("ticker", "aliases", "competitors"),
        (None, "name", S.SEED_COMPANY_NAMES["MSFT"]),
    ),
    Dep(
        "company-detail",
        "/api/documents",
        ("title", "doc_type", "published_at"),
        (S.DOCUMENT_02, "ticker", "MSFT"),
        {"ticker": "MSFT"},
    ),
    Dep(
        "company-detail",
        "/api/trends",
        ("direction", "strength", "window_end"),
        (S.TREND_MSFT, "direction", "up"),
        {"ticker": "MSFT"},
    ),
    Dep(
        "company-detail",
        "/api/recommendations",
        ("action", "thesis", "status"),
        (S.RECOMMENDATION_MSFT, "status", "active"),
        {"ticker": "MSFT"},
    ),
    Dep(
        "documents",
        "/api/documents",
        ("id", "title", "doc_type", "source", "published_at"),
        (S.DOCUMENT_08, "doc_type", "macro_event"),
    ),
    Dep(
        "documents",
        f"/api/documents/{S.DOCUMENT_04}",
        ("title", "extraction_records"),
        (None, "s3_key", S.SEED_DOCUMENT_S3_KEYS["DOC_04"]),
    ),
    Dep(
        "documents",
        f"/api/documents/{S.DOCUMENT_04}/raw",
        ("s3_key", "body"),
        (None, "bucket", S.SEED_S3_BUCKET),
    ),
    Dep(
        "trends",
        "/api/trends",
        ("ticker", "direction", "strength", "confidence"),
        (S.TREND_AMZN, "direction", "flat"),
    ),
    Dep(
        "trends",
        f"/api/trends/{S.TREND_NVDA}/projections",
        ("horizon_days", "projected_direction", "projected_change_pct"),
        (S.PROJECTION_NVDA, "projected_direction", "up"),
    ),
    Dep(
        "trends",
        f"/api/trends/{S.TREND_NVDA}/evidence",
        ("document_id", "weight", "title"),
        (S.TREND_EVIDENCE_05, "document_id", S.DOCUMENT_03),
    ),
    Dep(
        "recommendations",
        "/api/recommendations",
        ("ticker", "action", "confidence", "thesis"),
        (S.RECOMMENDATION_TSLA, "action", "sell"),
    ),
    Dep(
        "recommendations",
        f"/api/recommendations/{S.RECOMMENDATION_NVDA}/citations",
        ("document_id", "relevance", "excerpt"),
        (S.CITATION_05, "document_id", S.DOCUMENT_03),
    ),
    Dep(
        "orders",
        "/api/orders",
        ("ticker", "side", "quantity", "status"),
        (S.ORDER_PENDING, "status", "pending"),
    ),
    Dep(
        "orders",
        f"/api/orders/{S.ORDER_CANCELLED}/events",
        ("event_type", "occurred_at"),
        (S.ORDER_EVENT_08, "event_type", "cancelled"),
    ),
    Dep(
        "orders",
        f"/api/orders/{S.ORDER_PENDING}/audit",
        ("actor", "action", "to_status"),
        (S.ORDER_AUDIT_04, "actor", "risk-engine"),
    ),
    Dep(
        "positions",
        "/api/positions",
        ("ticker", "quantity", "unrealized_pnl", "total_pnl"),
        (S.POSITION_MSFT, "ticker", "MSFT"),
    ),
    Dep(
        "portfolio",
        "/api/portfolio/snapshots",
        ("snapshot_at", "total_value", "position_count"),
        (S.PORTFOLIO_SNAPSHOT_01, "position_count", 2),
    ),
    Dep(
        "macro",
        "/api/macro/events",
        ("title", "event_type", "severity", "occurred_at"),
        (S.GLOBAL_EVENT_01, "event_type", "monetary_policy"),
    ),
    Dep(
        "macro",
        f"/api/macro/events/{S.GLOBAL_EVENT_01}/impacts",
        ("ticker", "impact_direction", "impact_score"),
        (S.MACRO_IMPACT_04, "impact_direction", "negative"),
    ),
    Dep(
        "competitive",
        "/api/competitive/signals",
        ("ticker", "competitor_ticker", "signal_type", "impact_direction"),
        (S.COMPETITIVE_SIGNAL_02, "signal_type", "product_launch"),
    ),
    Dep(
        "patterns",
        "/api/patterns",
        ("pattern_type", "description", "win_rate"),
        (S.HISTORICAL_PATTERN_01, "pattern_type", "earnings_drift"),
    ),
    Dep(
        "agents",
        "/api/agents",
        ("name", "agent_type", "status", "default_model"),
        (S.AGENT_02, "name", S.SEED_AGENT_NAMES["AGENT_02"]),
    ),
    Dep(
        "agents",
        f"/api/agents/{S.AGENT_02}/variants",
        ("name", "model", "prompt_version"),
        (S.VARIANT_02, "prompt_version", "v2"),
    ),
    Dep(
        "agents",
        f"/api/agents/{S.AGENT_03}/performance",
        ("task_count", "success_count", "accuracy"),
        (S.AGENT_PERF_LOG_06, "task_count", 78),
    ),
    Dep(
        "pipeline-health",
        "/api/ops/pipeline-health",
        ("stage", "status", "last_run_at"),
        (S.PIPELINE_HEALTH_INGESTION, "status", "healthy"),
    ),
    Dep(
        "ingestion",
        "/api/ops/ingestion-summary",
        ("total_runs", "completed_runs", "failed_runs", "last_run"),
        (None, "failed_runs", 1),
    ),
    Dep(
        "ingestion",
        "/api/ops/ingestion-runs",
        ("source", "status", "started_at"),
        (S.INGESTION_RUN_01, "status", "completed"),
    ),
    Dep(
        "coverage",
        "/api/ops/coverage-gaps",
        ("ticker", "gap_type", "status"),
        (S.COVERAGE_GAP_02, "ticker", "TSLA"),
    ),
    Dep(
        "analytics",
        "/api/analytics/summary",
        ("documents_by_type", "trends_by_direction", "orders_by_status"),
        (None, "trends_by_direction", {"down": 1, "flat": 1, "up": 3}),
    ),
    Dep(
        "analytics",
        "/api/analytics/sentiment",
        ("ticker", "avg_sentiment_score"),
        (None, "ticker", "AAPL"),
    ),
    Dep(
        "analytics",
        "/api/analytics/agents",
        ("name", "task_count", "success_rate"),
        (None, "name", S.SEED_AGENT_NAMES["AGENT_01"]),
    ),
)
# The pages come from the page manifest (the plugin's frontend stage reads the same file): its
# entries without detail_of are the 17 pages; each declares the calls it makes.
MANIFEST = Path(__file__).with_name("frontend_pages.toml")
ENTRIES: dict[str, dict[str, Any]] = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))["pages"]
PAGES = tuple(name for name, entry in ENTRIES.items() if "detail_of" not in entry)


def _declares(page: str, path: str) -> bool:
    """One of the page's query-api GET route templates matches path ({param} = one segment)."""
    for call in ENTRIES[page]["calls"]:
        service, method, route = call.split()
        if (service, method) != ("query-api", "GET"):
            continue
        pattern = "/".join(
            "[^/]+" if re.fullmatch(r"\{[^/{}]+\}", part) else re.escape(part)
            for part in route.split("/")
        )
        if re.fullmatch(pattern, path):
            return True
    return False


def _item(data: Any, item_id: str | None) -> dict[str, Any]:
    if isinstance(data, dict):
        return data
    if item_id is None:  # lists without ids: the first row carries the value
        return dict(data[0])
    return dict({row.get("id"): row for row in data}[item_id])


class TestFrontendPageDataDeps:
    def test_every_page_has_dependencies(self) -> None:
        assert len(PAGES) == 17
        assert {dep.page for dep in DEPS} == set(PAGES)

    @pytest.mark.parametrize("dep", DEPS, ids=[dep.id for dep in DEPS])
    def test_dependency_is_a_declared_call(self, dep: Dep) -> None:
        calls = ENTRIES[dep.page]["calls"]
        assert _declares(dep.page, dep.path), f"{dep.id} matches none of {calls}"

    @pytest.mark.parametrize("dep", DEPS, ids=[dep.id for dep in DEPS])
    async def test_page_dependency(self, query_client: httpx.AsyncClient, dep: Dep) -> None:
        resp = await query_client.get(dep.path, params=dep.params)
        assert resp.status_code == 200, resp.text
        data = resp.json()
        assert data, f"{dep.id} returned no data"
        for row in data if isinstance(data, list) else [data]:
            missing = [name for name in dep.fields if name not in row]
            assert not missing, f"{dep.id} lacks {missing}"
        item_id, name, value = dep.expect
        assert _item(data, item_id)[name] == value
