"""Watchlist members: list, add (409 when already a member), remove."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from stonks_oracle.common import DB, Conflict, NotFound, Page, RedisClient

from ..events import emit
from ..lookups import company_or_404, fetch_row, watchlist_or_404
from ..models import ERROR_RESPONSES, MemberCreate, MemberOut

router = APIRouter(prefix="/api/watchlists", tags=["watchlists"], responses=ERROR_RESPONSES)

SELECT = """
SELECT m.*, c.ticker, c.name
FROM watchlist_members AS m JOIN companies AS c ON c.id = m.company_id
"""


@router.get("/{watchlist_id}/members", response_model=list[MemberOut])
async def list_members(watchlist_id: UUID, db: DB, page: Page) -> list[dict[str, Any]]:
    """Members with ticker and name, in the order they were added."""
    await watchlist_or_404(db, watchlist_id)
    return await db.fetch_all(
        f"{SELECT} WHERE m.watchlist_id = $1 ORDER BY m.added_at, m.id LIMIT $2 OFFSET $3",
        watchlist_id,
        page.limit,
        page.offset,
    )


@router.post("/{watchlist_id}/members", status_code=201, response_model=MemberOut)
async def add_member(
    watchlist_id: UUID, body: MemberCreate, db: DB, redis: RedisClient
) -> dict[str, Any]:
    """Add a company (404 if unknown, 409 if already a member)."""
    async with db.transaction() as conn:
        await watchlist_or_404(conn, watchlist_id)
        await company_or_404(conn, body.company_id)
        if await conn.fetchval(
            "SELECT 1 FROM watchlist_members WHERE watchlist_id = $1 AND company_id = $2",
            watchlist_id,
            body.company_id,
        ):
            raise Conflict(f"company {body.company_id} is already on watchlist {watchlist_id}")
        member_id = await conn.fetchval(
            "INSERT INTO watchlist_members (watchlist_id, company_id, notes) "
            "VALUES ($1, $2, $3) RETURNING id",
            watchlist_id,
            body.company_id,
            body.notes,
        )
        row = await fetch_row(conn, f"{SELECT} WHERE m.id = $1", member_id)
        assert row is not None
        await emit(
            redis,
            "watchlist_member_added",
            {"watchlist_id": row["watchlist_id"], "company_id": row["company_id"]},
        )
    return row


@router.delete("/{watchlist_id}/members/{company_id}", status_code=204)
async def remove_member(
    watchlist_id: UUID, company_id: UUID, db: DB, redis: RedisClient
) -> Response:
    """Take a company off the watchlist (404 when it is not a member)."""
    async with db.transaction() as conn:
        deleted = await conn.fetchval(
            "DELETE FROM watchlist_members WHERE watchlist_id = $1 AND company_id = $2 "
            "RETURNING id",
            watchlist_id,
            company_id,
        )
        if deleted is None:
            raise NotFound(f"company {company_id} is not on watchlist {watchlist_id}")
        await emit(
            redis,
            "watchlist_member_removed",
            {"watchlist_id": str(watchlist_id), "company_id": str(company_id)},
        )
    return Response(status_code=204)
