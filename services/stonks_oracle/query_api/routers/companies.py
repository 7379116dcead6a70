"""Companies: the list the frontend filters, and one company with its aliases and sources."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, Select, Text, Ticker, upper

router = APIRouter(prefix="/api/companies", tags=["companies"], responses=READ_ERRORS)


@router.get("")
async def list_companies(
    db: DB,
    page: Page,
    ticker: Ticker = None,
    sector: Annotated[Text | None, Query(max_length=100)] = None,
    is_active: bool | None = None,
    q: Annotated[Text | None, Query(max_length=100, description="name or ticker contains")] = None,
) -> list[dict[str, Any]]:
    """Companies ordered by created_at then id, filtered by ticker, sector, activity or text."""
    select = (
        Select("SELECT * FROM companies c")
        .where("c.ticker = {}", upper(ticker))
        .where("c.sector = {}", sector)
        .where("c.is_active = {}", is_active)
    )
    if q is not None:
        pattern = select.bind(f"%{q}%")
        select.raw(f"(c.name ILIKE {pattern} OR c.ticker ILIKE {pattern})")
    return await db.fetch_all(select.sql("c.created_at, c.id", page), *select.args)


@router.get("/{company_id}")
async def get_company(company_id: UUID, db: DB) -> dict[str, Any]:
    """One company with its aliases, sources and competitors (404 when unknown)."""
    company = await db.fetch_one("SELECT * FROM companies WHERE id = $1", company_id)
    if company is None:
        raise NotFound(f"company {company_id} not found")
    company["aliases"] = await db.fetch_all(
        "SELECT id, alias, alias_type FROM company_aliases WHERE company_id = $1"
        " ORDER BY created_at, id",
        company_id,
    )
    company["sources"] = await db.fetch_all(
        "SELECT id, source_type, name, url, is_active FROM company_sources"
        " WHERE company_id = $1 ORDER BY created_at, id",
        company_id,
    )
    company["competitors"] = await db.fetch_all(
        "SELECT r.id, r.competitor_id, c.ticker, r.relationship_type, r.strength"
        " FROM competitor_relationships r JOIN companies c ON c.id = r.competitor_id"
        " WHERE r.company_id = $1 ORDER BY r.created_at, r.id",
        company_id,
    )
    return company
