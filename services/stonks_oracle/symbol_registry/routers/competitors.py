"""Competitor relationships: list, add (400 on self, 409 on duplicate), remove."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from stonks_oracle.common import DB, BusinessRuleViolation, Conflict, NotFound, Page, RedisClient

from ..events import emit
from ..lookups import company_or_404, fetch_row
from ..models import ERROR_RESPONSES, CompetitorCreate, CompetitorOut

router = APIRouter(prefix="/api/companies", tags=["competitors"], responses=ERROR_RESPONSES)

SELECT = """
SELECT r.*, c.ticker AS competitor_ticker, c.name AS competitor_name
FROM competitor_relationships AS r JOIN companies AS c ON c.id = r.competitor_id
"""


@router.get("/{company_id}/competitors", response_model=list[CompetitorOut])
async def list_competitors(company_id: UUID, db: DB, page: Page) -> list[dict[str, Any]]:
    """The company's competitors with their tickers, oldest relationship first."""
    await company_or_404(db, company_id)
    return await db.fetch_all(
        f"{SELECT} WHERE r.company_id = $1 ORDER BY r.created_at, r.id LIMIT $2 OFFSET $3",
        company_id,
        page.limit,
        page.offset,
    )


@router.post("/{company_id}/competitors", status_code=201, response_model=CompetitorOut)
async def add_competitor(
    company_id: UUID, body: CompetitorCreate, db: DB, redis: RedisClient
) -> dict[str, Any]:
    """Relate a competitor: 400 for the company itself, 404 if unknown, 409 if already related."""
    if body.competitor_id == company_id:
        raise BusinessRuleViolation("a company cannot be its own competitor")
    async with db.transaction() as conn:
        await company_or_404(conn, company_id)
        await company_or_404(conn, body.competitor_id)
        if await conn.fetchval(
            "SELECT 1 FROM competitor_relationships WHERE company_id = $1 AND competitor_id = $2",
            company_id,
            body.competitor_id,
        ):
            raise Conflict(f"company {body.competitor_id} is already a competitor")
        relationship_id = await conn.fetchval(
            "INSERT INTO competitor_relationships "
            "(company_id, competitor_id, relationship_type, strength, notes) "
            "VALUES ($1, $2, $3, $4, $5) RETURNING id",
            company_id,
            body.competitor_id,
            body.relationship_type,
            body.strength,
            body.notes,
        )
        row = await fetch_row(conn, f"{SELECT} WHERE r.id = $1", relationship_id)
        assert row is not None
        await emit(
            redis,
            "competitor_added",
            {
                "company_id": row["company_id"],
                "competitor_id": row["competitor_id"],
                "relationship_id": row["id"],
            },
        )
    return row


@router.delete("/{company_id}/competitors/{relationship_id}", status_code=204)
async def remove_competitor(
    company_id: UUID, relationship_id: UUID, db: DB, redis: RedisClient
) -> Response:
    """Remove one competitor relationship of the company (404 when it is not the company's)."""
    async with db.transaction() as conn:
        deleted = await conn.fetchval(
            "DELETE FROM competitor_relationships WHERE id = $1 AND company_id = $2 RETURNING id",
            relationship_id,
            company_id,
        )
        if deleted is None:
            raise NotFound(f"competitor relationship {relationship_id} not found")
        await emit(
            redis,
            "competitor_removed",
            {"company_id": str(company_id), "relationship_id": str(relationship_id)},
        )
    return Response(status_code=204)
