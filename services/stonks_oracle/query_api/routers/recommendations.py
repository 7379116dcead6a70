"""Recommendations and their evidence citations."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, Select, Ticker, upper

router = APIRouter(prefix="/api/recommendations", tags=["recommendations"], responses=READ_ERRORS)

SELECT_RECOMMENDATIONS = (
    "SELECT r.*, c.ticker FROM recommendations r JOIN companies c ON c.id = r.company_id"
)
SELECT_CITATIONS = (
    "SELECT rc.*, d.title, d.doc_type FROM recommendation_citations rc"
    " JOIN documents d ON d.id = rc.document_id"
    " WHERE rc.recommendation_id = $1 ORDER BY rc.relevance DESC, rc.id"
)


@router.get("")
async def list_recommendations(
    db: DB,
    page: Page,
    ticker: Ticker = None,
    action: Literal["buy", "sell", "hold"] | None = None,
    status: Literal["active", "executed", "expired", "rejected", "superseded"] | None = None,
) -> list[dict[str, Any]]:
    """Recommendations, newest first."""
    select = (
        Select(SELECT_RECOMMENDATIONS)
        .where("c.ticker = {}", upper(ticker))
        .where("r.action = {}", action)
        .where("r.status = {}", status)
    )
    return await db.fetch_all(
        select.sql("r.created_at DESC, c.created_at, r.id", page), *select.args
    )


async def _recommendation(db: DB, recommendation_id: UUID) -> dict[str, Any]:
    rec = await db.fetch_one(f"{SELECT_RECOMMENDATIONS} WHERE r.id = $1", recommendation_id)
    if rec is None:
        raise NotFound(f"recommendation {recommendation_id} not found")
    return rec


@router.get("/{recommendation_id}")
async def get_recommendation(recommendation_id: UUID, db: DB) -> dict[str, Any]:
    """One recommendation with its citations."""
    rec = await _recommendation(db, recommendation_id)
    rec["citations"] = await db.fetch_all(SELECT_CITATIONS, recommendation_id)
    return rec


@router.get("/{recommendation_id}/citations")
async def list_recommendation_citations(recommendation_id: UUID, db: DB) -> list[dict[str, Any]]:
    """The citations of one recommendation, most relevant first."""
    await _recommendation(db, recommendation_id)
    return await db.fetch_all(SELECT_CITATIONS, recommendation_id)
