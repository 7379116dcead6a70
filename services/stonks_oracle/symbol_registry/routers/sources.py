"""Company sources: list, add (409 on a duplicate type + name), remove."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from stonks_oracle.common import DB, NotFound, Page, RedisClient
from stonks_oracle.common.db import row_to_dict

from ..events import emit
from ..lookups import company_or_404
from ..models import ERROR_RESPONSES, SourceCreate, SourceOut

router = APIRouter(prefix="/api/companies", tags=["sources"], responses=ERROR_RESPONSES)


@router.get("/{company_id}/sources", response_model=list[SourceOut])
async def list_sources(company_id: UUID, db: DB, page: Page) -> list[dict[str, Any]]:
    """The company's sources, oldest first."""
    await company_or_404(db, company_id)
    return await db.fetch_all(
        "SELECT * FROM company_sources WHERE company_id = $1 "
        "ORDER BY created_at, id LIMIT $2 OFFSET $3",
        company_id,
        page.limit,
        page.offset,
    )


@router.post("/{company_id}/sources", status_code=201, response_model=SourceOut)
async def add_source(
    company_id: UUID, body: SourceCreate, db: DB, redis: RedisClient
) -> dict[str, Any]:
    """Add a source; a second source with the same type and name is a 409."""
    async with db.transaction() as conn:
        await company_or_404(conn, company_id)
        row = row_to_dict(
            await conn.fetchrow(
                "INSERT INTO company_sources (company_id, source_type, name, url, is_active) "
                "VALUES ($1, $2, $3, $4, $5) RETURNING *",
                company_id,
                body.source_type,
                body.name,
                body.url,
                body.is_active,
            )
        )
        await emit(redis, "source_added", {"company_id": row["company_id"], "source_id": row["id"]})
    return row


@router.delete("/{company_id}/sources/{source_id}", status_code=204)
async def remove_source(company_id: UUID, source_id: UUID, db: DB, redis: RedisClient) -> Response:
    """Remove one of the company's sources (404 when it is not the company's)."""
    async with db.transaction() as conn:
        deleted = await conn.fetchval(
            "DELETE FROM company_sources WHERE id = $1 AND company_id = $2 RETURNING id",
            source_id,
            company_id,
        )
        if deleted is None:
            raise NotFound(f"source {source_id} of company {company_id} not found")
        await emit(
            redis, "source_removed", {"company_id": str(company_id), "source_id": str(source_id)}
        )
    return Response(status_code=204)
