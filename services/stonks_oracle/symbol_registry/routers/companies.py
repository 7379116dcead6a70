"""Companies: list with filters, get (by id or ticker), create, partial update, delete."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query, Response

from stonks_oracle.common import DB, Conflict, NotFound, Page, RedisClient
from stonks_oracle.common.db import row_to_dict

from ..events import emit
from ..lookups import company_or_404, fetch_row
from ..models import ERROR_RESPONSES, NO_NUL, CompanyCreate, CompanyOut, CompanyUpdate, Ticker

router = APIRouter(prefix="/api/companies", tags=["companies"], responses=ERROR_RESPONSES)
FilterText = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]


@router.get("", response_model=list[CompanyOut])
async def list_companies(
    db: DB,
    page: Page,
    sector: FilterText = None,
    exchange: FilterText = None,
    is_active: bool | None = None,
    q: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="ticker or name contains")
    ] = None,
) -> list[dict[str, Any]]:
    """Companies ordered by ticker, optionally filtered (exact sector/exchange, q substring)."""
    return await db.fetch_all(
        """
        SELECT * FROM companies
        WHERE ($1::text IS NULL OR sector = $1)
          AND ($2::text IS NULL OR exchange = $2)
          AND ($3::boolean IS NULL OR is_active = $3)
          AND ($4::text IS NULL OR strpos(lower(ticker || ' ' || name), lower($4)) > 0)
        ORDER BY ticker LIMIT $5 OFFSET $6
        """,
        sector,
        exchange,
        is_active,
        q,
        page.limit,
        page.offset,
    )


@router.get("/by-ticker/{ticker}", response_model=CompanyOut)
async def get_company_by_ticker(ticker: Ticker, db: DB) -> dict[str, Any]:
    """One company by its ticker (404 when unknown)."""
    company = await fetch_row(db, "SELECT * FROM companies WHERE ticker = $1", ticker)
    if company is None:
        raise NotFound(f"ticker {ticker} not found")
    return company


@router.get("/{company_id}", response_model=CompanyOut)
async def get_company(company_id: UUID, db: DB) -> dict[str, Any]:
    """One company by id (404 when unknown)."""
    return await company_or_404(db, company_id)


@router.post("", status_code=201, response_model=CompanyOut)
async def create_company(body: CompanyCreate, db: DB, redis: RedisClient) -> dict[str, Any]:
    """Register a company (409 when the ticker exists)."""
    async with db.transaction() as conn:
        if await conn.fetchval("SELECT 1 FROM companies WHERE ticker = $1", body.ticker):
            raise Conflict(f"ticker {body.ticker} already exists")
        row = row_to_dict(
            await conn.fetchrow(
                """
                INSERT INTO companies (ticker, name, sector, industry, exchange, market_cap,
                                       is_active)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *
                """,
                body.ticker,
                body.name,
                body.sector,
                body.industry,
                body.exchange,
                body.market_cap,
                body.is_active,
            )
        )
        await emit(redis, "company_created", {"company_id": row["id"], "ticker": row["ticker"]})
    return row


@router.patch("/{company_id}", response_model=CompanyOut)
async def update_company(
    company_id: UUID, body: CompanyUpdate, db: DB, redis: RedisClient
) -> dict[str, Any]:
    """Change the fields sent (409 when the new ticker is taken)."""
    changes = body.model_dump(exclude_unset=True)
    async with db.transaction() as conn:
        await company_or_404(conn, company_id)
        if "ticker" in changes and await conn.fetchval(
            "SELECT 1 FROM companies WHERE ticker = $1 AND id <> $2", changes["ticker"], company_id
        ):
            raise Conflict(f"ticker {changes['ticker']} already exists")
        assignments = [f"{column} = ${i}" for i, column in enumerate(changes, start=2)]
        row = row_to_dict(
            await conn.fetchrow(
                f"UPDATE companies SET {', '.join([*assignments, 'updated_at = now()'])} "
                "WHERE id = $1 RETURNING *",
                company_id,
                *changes.values(),
            )
        )
        await emit(
            redis,
            "company_updated",
            {"company_id": row["id"], "ticker": row["ticker"], "fields": sorted(changes)},
        )
    return row


@router.delete("/{company_id}", status_code=204)
async def delete_company(company_id: UUID, db: DB, redis: RedisClient) -> Response:
    """Delete a company and its registry children (409 while orders or positions refer to it)."""
    try:
        async with db.transaction() as conn:
            company = await company_or_404(conn, company_id)
            await conn.execute("DELETE FROM companies WHERE id = $1", company_id)
            await emit(
                redis, "company_deleted", {"company_id": company["id"], "ticker": company["ticker"]}
            )
    except asyncpg.ForeignKeyViolationError as exc:
        raise Conflict(f"company {company_id} has trading history and cannot be deleted") from exc
    return Response(status_code=204)
