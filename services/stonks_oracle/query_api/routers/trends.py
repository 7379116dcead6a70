"""Trend windows with their projections and supporting evidence."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, Select, Ticker, upper

router = APIRouter(prefix="/api/trends", tags=["trends"], responses=READ_ERRORS)

Direction = Literal["up", "down", "flat"]
SELECT_TRENDS = "SELECT t.*, c.ticker FROM trend_windows t JOIN companies c ON c.id = t.company_id"
SELECT_PROJECTIONS = "SELECT * FROM trend_projections WHERE trend_id = $1 ORDER BY horizon_days, id"
SELECT_EVIDENCE = (
    "SELECT te.id, te.trend_id, te.document_id, te.evidence_id, te.weight, d.title, d.doc_type,"
    " d.published_at, e.content, e.stance, e.relevance"
    " FROM trend_evidence te JOIN documents d ON d.id = te.document_id"
    " LEFT JOIN evidence e ON e.id = te.evidence_id"
    " WHERE te.trend_id = $1 ORDER BY te.weight DESC, te.id"
)


async def _trend(db: DB, trend_id: UUID) -> dict[str, Any]:
    trend = await db.fetch_one(f"{SELECT_TRENDS} WHERE t.id = $1", trend_id)
    if trend is None:
        raise NotFound(f"trend {trend_id} not found")
    return trend


@router.get("")
async def list_trends(
    db: DB,
    page: Page,
    ticker: Ticker = None,
    company_id: UUID | None = None,
    direction: Direction | None = None,
) -> list[dict[str, Any]]:
    """Trend windows, latest window first."""
    select = (
        Select(SELECT_TRENDS)
        .where("c.ticker = {}", upper(ticker))
        .where("t.company_id = {}", company_id)
        .where("t.direction = {}", direction)
    )
    return await db.fetch_all(
        select.sql("t.window_end DESC, c.created_at, t.id", page), *select.args
    )


@router.get("/{trend_id}")
async def get_trend(trend_id: UUID, db: DB) -> dict[str, Any]:
    """One trend window with its projections and evidence."""
    trend = await _trend(db, trend_id)
    trend["projections"] = await db.fetch_all(SELECT_PROJECTIONS, trend_id)
    trend["evidence"] = await db.fetch_all(SELECT_EVIDENCE, trend_id)
    return trend


@router.get("/{trend_id}/projections")
async def list_trend_projections(trend_id: UUID, db: DB) -> list[dict[str, Any]]:
    """Projections of one trend by horizon."""
    await _trend(db, trend_id)
    return await db.fetch_all(SELECT_PROJECTIONS, trend_id)


@router.get("/{trend_id}/evidence")
async def list_trend_evidence(trend_id: UUID, db: DB) -> list[dict[str, Any]]:
    """Documents and evidence behind one trend, heaviest first."""
    await _trend(db, trend_id)
    return await db.fetch_all(SELECT_EVIDENCE, trend_id)
