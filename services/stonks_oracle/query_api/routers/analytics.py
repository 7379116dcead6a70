"""Analytics: aggregates computed from the read model (no table of their own)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from stonks_oracle.common import DB

from ..sql import READ_ERRORS

router = APIRouter(prefix="/api/analytics", tags=["analytics"], responses=READ_ERRORS)


async def _counts(db: DB, table: str, column: str) -> dict[str, int]:
    rows = await db.fetch_all(
        f"SELECT {column} AS key, count(*)::int AS n FROM {table} GROUP BY {column} ORDER BY 1"
    )
    return {row["key"]: row["n"] for row in rows}


@router.get("/summary")
async def get_analytics_summary(db: DB) -> dict[str, Any]:
    """Counts by category across documents, trends, recommendations and orders."""
    averages = await db.fetch_one(
        "SELECT round(avg(confidence), 4) AS avg_extraction_confidence,"
        " round(avg(sentiment_score), 4) AS avg_sentiment_score,"
        " count(*)::int AS extraction_count FROM extraction_records"
    )
    assert averages is not None
    return {
        "documents_by_type": await _counts(db, "documents", "doc_type"),
        "trends_by_direction": await _counts(db, "trend_windows", "direction"),
        "recommendations_by_action": await _counts(db, "recommendations", "action"),
        "recommendations_by_status": await _counts(db, "recommendations", "status"),
        "orders_by_status": await _counts(db, "orders", "status"),
        **averages,
    }


@router.get("/sentiment")
async def list_sentiment_by_company(db: DB) -> list[dict[str, Any]]:
    """Per company: number of extraction records and their mean sentiment score."""
    return await db.fetch_all(
        "SELECT c.id AS company_id, c.ticker, count(x.id)::int AS extraction_count,"
        " round(avg(x.sentiment_score), 4) AS avg_sentiment_score"
        " FROM companies c JOIN extraction_records x ON x.company_id = c.id"
        " GROUP BY c.id, c.ticker ORDER BY c.ticker"
    )


@router.get("/agents")
async def list_agent_performance_totals(db: DB) -> list[dict[str, Any]]:
    """Per agent: task and success totals, success rate, mean accuracy and total cost."""
    return await db.fetch_all(
        "SELECT a.id AS agent_id, a.name, count(l.id)::int AS log_count,"
        " coalesce(sum(l.task_count), 0)::int AS task_count,"
        " coalesce(sum(l.success_count), 0)::int AS success_count,"
        " round(sum(l.success_count)::numeric / nullif(sum(l.task_count), 0), 4)"
        " AS success_rate,"
        " round(avg(l.accuracy), 4) AS avg_accuracy,"
        " coalesce(sum(l.cost_usd), 0) AS total_cost_usd"
        " FROM ai_agents a LEFT JOIN agent_performance_logs l ON l.agent_id = a.id"
        " GROUP BY a.id, a.name ORDER BY a.created_at, a.id"
    )
