"""Companies (read side; the example the other registry routes follow)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Page

router = APIRouter(prefix="/api/companies", tags=["companies"])


@router.get("")
async def list_companies(db: DB, page: Page) -> list[dict[str, Any]]:
    """Companies ordered by ticker."""
    return await db.fetch_all(
        "SELECT * FROM companies ORDER BY ticker LIMIT $1 OFFSET $2", page.limit, page.offset
    )


@router.get("/{company_id}")
async def get_company(company_id: UUID, db: DB) -> dict[str, Any]:
    """One company by id (404 when unknown)."""
    company = await db.fetch_one("SELECT * FROM companies WHERE id = $1", company_id)
    if company is None:
        raise NotFound(f"company {company_id} not found")
    return company
