"""Company aliases: list, add (unique per company, 409), remove."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from stonks_oracle.common import DB, Conflict, NotFound, Page, RedisClient
from stonks_oracle.common.db import row_to_dict

from ..events import emit
from ..lookups import company_or_404
from ..models import ERROR_RESPONSES, AliasCreate, AliasOut

router = APIRouter(prefix="/api/companies", tags=["aliases"], responses=ERROR_RESPONSES)


@router.get("/{company_id}/aliases", response_model=list[AliasOut])
async def list_aliases(company_id: UUID, db: DB, page: Page) -> list[dict[str, Any]]:
    """The company's aliases, oldest first."""
    await company_or_404(db, company_id)
    return await db.fetch_all(
        "SELECT * FROM company_aliases WHERE company_id = $1 "
        "ORDER BY created_at, id LIMIT $2 OFFSET $3",
        company_id,
        page.limit,
        page.offset,
    )


@router.post("/{company_id}/aliases", status_code=201, response_model=AliasOut)
async def add_alias(
    company_id: UUID, body: AliasCreate, db: DB, redis: RedisClient
) -> dict[str, Any]:
    """Add an alias; the same alias twice for one company is a 409."""
    async with db.transaction() as conn:
        await company_or_404(conn, company_id)
        if await conn.fetchval(
            "SELECT 1 FROM company_aliases WHERE company_id = $1 AND alias = $2",
            company_id,
            body.alias,
        ):
            raise Conflict(f"alias {body.alias!r} already exists for company {company_id}")
        row = row_to_dict(
            await conn.fetchrow(
                "INSERT INTO company_aliases (company_id, alias, alias_type) "
                "VALUES ($1, $2, $3) RETURNING *",
                company_id,
                body.alias,
                body.alias_type,
            )
        )
        await emit(
            redis,
            "alias_added",
            {"company_id": row["company_id"], "alias_id": row["id"], "alias": row["alias"]},
        )
    return row


@router.delete("/{company_id}/aliases/{alias_id}", status_code=204)
async def remove_alias(company_id: UUID, alias_id: UUID, db: DB, redis: RedisClient) -> Response:
    """Remove one of the company's aliases (404 when it is not the company's)."""
    async with db.transaction() as conn:
        deleted = await conn.fetchval(
            "DELETE FROM company_aliases WHERE id = $1 AND company_id = $2 RETURNING id",
            alias_id,
            company_id,
        )
        if deleted is None:
            raise NotFound(f"alias {alias_id} of company {company_id} not found")
        await emit(
            redis, "alias_removed", {"company_id": str(company_id), "alias_id": str(alias_id)}
        )
    return Response(status_code=204)
