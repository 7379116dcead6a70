"""Evidence: filtered list and a drill-down from one evidence row to everything it supports."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, Select, Ticker, upper

router = APIRouter(prefix="/api/evidence", tags=["evidence"], responses=READ_ERRORS)

SELECT_EVIDENCE = (
    "SELECT e.*, c.ticker FROM evidence e LEFT JOIN companies c ON c.id = e.company_id"
)


@router.get("")
async def list_evidence(
    db: DB,
    page: Page,
    ticker: Ticker = None,
    document_id: UUID | None = None,
    evidence_type: Literal["quote", "metric", "event", "guidance"] | None = None,
    stance: Literal["bullish", "bearish", "neutral"] | None = None,
) -> list[dict[str, Any]]:
    """Evidence rows, newest first."""
    select = (
        Select(SELECT_EVIDENCE)
        .where("c.ticker = {}", upper(ticker))
        .where("e.document_id = {}", document_id)
        .where("e.evidence_type = {}", evidence_type)
        .where("e.stance = {}", stance)
    )
    return await db.fetch_all(select.sql("e.created_at DESC, e.id", page), *select.args)


@router.get("/{evidence_id}")
async def get_evidence(evidence_id: UUID, db: DB) -> dict[str, Any]:
    """One evidence row with its document, extraction record, trends and citations."""
    evidence = await db.fetch_one(f"{SELECT_EVIDENCE} WHERE e.id = $1", evidence_id)
    if evidence is None:
        raise NotFound(f"evidence {evidence_id} not found")
    evidence["document"] = await db.fetch_one(
        "SELECT id, company_id, doc_type, title, source, url, published_at, s3_key"
        " FROM documents WHERE id = $1",
        evidence["document_id"],
    )
    evidence["extraction"] = await db.fetch_one(
        "SELECT * FROM extraction_records WHERE id = $1", evidence["extraction_id"]
    )
    evidence["trends"] = await db.fetch_all(
        "SELECT t.id, t.direction, t.strength, te.weight FROM trend_evidence te"
        " JOIN trend_windows t ON t.id = te.trend_id WHERE te.evidence_id = $1"
        " ORDER BY te.created_at, te.id",
        evidence_id,
    )
    evidence["citations"] = await db.fetch_all(
        "SELECT rc.id, rc.recommendation_id, r.action, rc.relevance"
        " FROM recommendation_citations rc JOIN recommendations r ON r.id = rc.recommendation_id"
        " WHERE rc.evidence_id = $1 ORDER BY rc.created_at, rc.id",
        evidence_id,
    )
    return evidence
