"""Operations dashboard: pipeline health, ingestion runs and summary, coverage gaps."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, Select, Ticker, upper

router = APIRouter(prefix="/api/ops", tags=["ops"], responses=READ_ERRORS)

STAGE_ORDER = (
    "ARRAY['ingestion', 'normalization', 'extraction', 'trend_detection', 'recommendation',"
    " 'risk', 'trading']"
)
SELECT_GAPS = "SELECT g.*, c.ticker FROM coverage_gaps g JOIN companies c ON c.id = g.company_id"


@router.get("/pipeline-health")
async def list_pipeline_health(db: DB) -> list[dict[str, Any]]:
    """Health of each pipeline stage, in pipeline order."""
    return await db.fetch_all(
        f"SELECT * FROM pipeline_health ORDER BY array_position({STAGE_ORDER}, stage), id"
    )


async def ingestion_summary(db: DB) -> dict[str, Any]:
    """Counts by status, document totals, the last run and the last successful run."""
    summary = await db.fetch_one(
        "SELECT count(*)::int AS total_runs,"
        " count(*) FILTER (WHERE status = 'completed')::int AS completed_runs,"
        " count(*) FILTER (WHERE status = 'failed')::int AS failed_runs,"
        " count(*) FILTER (WHERE status = 'running')::int AS running_runs,"
        " coalesce(sum(documents_fetched), 0)::int AS documents_fetched,"
        " coalesce(sum(documents_stored), 0)::int AS documents_stored,"
        " coalesce(sum(error_count), 0)::int AS error_count,"
        " max(finished_at) FILTER (WHERE status = 'completed') AS last_success_at"
        " FROM ingestion_runs"
    )
    assert summary is not None  # an aggregate always returns one row
    summary["last_run"] = await db.fetch_one(
        "SELECT * FROM ingestion_runs ORDER BY started_at DESC, id LIMIT 1"
    )
    return summary


@router.get("/ingestion-summary")
async def get_ingestion_summary(db: DB) -> dict[str, Any]:
    """Aggregate of the ingestion runs."""
    return await ingestion_summary(db)


@router.get("/ingestion-runs")
async def list_ingestion_runs(
    db: DB, page: Page, status: Literal["running", "completed", "failed"] | None = None
) -> list[dict[str, Any]]:
    """Ingestion runs, newest first."""
    select = Select("SELECT * FROM ingestion_runs").where("status = {}", status)
    return await db.fetch_all(select.sql("started_at DESC, id", page), *select.args)


@router.get("/ingestion-runs/{run_id}")
async def get_ingestion_run(run_id: UUID, db: DB) -> dict[str, Any]:
    """One ingestion run (404 when unknown)."""
    run = await db.fetch_one("SELECT * FROM ingestion_runs WHERE id = $1", run_id)
    if run is None:
        raise NotFound(f"ingestion run {run_id} not found")
    return run


@router.get("/coverage-gaps")
async def list_coverage_gaps(
    db: DB,
    page: Page,
    status: Literal["open", "resolved"] | None = None,
    ticker: Ticker = None,
) -> list[dict[str, Any]]:
    """Coverage gaps, most recently detected first."""
    select = (
        Select(SELECT_GAPS).where("g.status = {}", status).where("c.ticker = {}", upper(ticker))
    )
    return await db.fetch_all(select.sql("g.detected_at DESC, g.id", page), *select.args)


@router.get("/dashboard")
async def get_ops_dashboard(db: DB) -> dict[str, Any]:
    """One call for the ops page: stage counts by status, ingestion summary, open gaps."""
    stages = await db.fetch_all(
        "SELECT status, count(*)::int AS n FROM pipeline_health GROUP BY status ORDER BY status"
    )
    open_gaps = await db.fetch_value(
        "SELECT count(*)::int FROM coverage_gaps WHERE status = 'open'"
    )
    return {
        "pipeline": {row["status"]: row["n"] for row in stages},
        "ingestion": await ingestion_summary(db),
        "open_coverage_gaps": open_gaps,
    }
