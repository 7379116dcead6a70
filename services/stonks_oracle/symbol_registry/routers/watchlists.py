"""Watchlists: list, get, create (409 on a taken name), partial update, delete."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from stonks_oracle.common import DB, Conflict, NotFound, Page, RedisClient

from ..events import emit
from ..lookups import fetch_row, watchlist_or_404
from ..models import ERROR_RESPONSES, WatchlistCreate, WatchlistOut, WatchlistUpdate

router = APIRouter(prefix="/api/watchlists", tags=["watchlists"], responses=ERROR_RESPONSES)

SELECT = """
SELECT w.*, (SELECT count(*) FROM watchlist_members AS m WHERE m.watchlist_id = w.id)::int
       AS member_count
FROM watchlists AS w
"""


async def _name_taken(db: DB, name: str, other_than: UUID | None = None) -> bool:
    return bool(
        await db.fetch_value(
            "SELECT 1 FROM watchlists WHERE name = $1 AND id IS DISTINCT FROM $2", name, other_than
        )
    )


@router.get("", response_model=list[WatchlistOut])
async def list_watchlists(db: DB, page: Page) -> list[dict[str, Any]]:
    """Watchlists with their member counts, oldest first."""
    return await db.fetch_all(
        f"{SELECT} ORDER BY w.created_at, w.id LIMIT $1 OFFSET $2", page.limit, page.offset
    )


@router.get("/{watchlist_id}", response_model=WatchlistOut)
async def get_watchlist(watchlist_id: UUID, db: DB) -> dict[str, Any]:
    """One watchlist with its member count."""
    row = await fetch_row(db, f"{SELECT} WHERE w.id = $1", watchlist_id)
    if row is None:
        raise NotFound(f"watchlist {watchlist_id} not found")
    return row


@router.post("", status_code=201, response_model=WatchlistOut)
async def create_watchlist(body: WatchlistCreate, db: DB, redis: RedisClient) -> dict[str, Any]:
    """Create an empty watchlist (409 when the name is taken)."""
    if await _name_taken(db, body.name):
        raise Conflict(f"watchlist {body.name!r} already exists")
    async with db.transaction() as conn:
        watchlist_id = await conn.fetchval(
            "INSERT INTO watchlists (name, description, owner) VALUES ($1, $2, $3) RETURNING id",
            body.name,
            body.description,
            body.owner,
        )
        row = await fetch_row(conn, f"{SELECT} WHERE w.id = $1", watchlist_id)
        assert row is not None
        await emit(redis, "watchlist_created", {"watchlist_id": row["id"], "name": row["name"]})
    return row


@router.patch("/{watchlist_id}", response_model=WatchlistOut)
async def update_watchlist(
    watchlist_id: UUID, body: WatchlistUpdate, db: DB, redis: RedisClient
) -> dict[str, Any]:
    """Change the fields sent (409 when the new name is taken)."""
    changes = body.model_dump(exclude_unset=True)
    await watchlist_or_404(db, watchlist_id)
    if "name" in changes and await _name_taken(db, changes["name"], watchlist_id):
        raise Conflict(f"watchlist {changes['name']!r} already exists")
    assignments = [f"{column} = ${i}" for i, column in enumerate(changes, start=2)]
    async with db.transaction() as conn:
        await conn.execute(
            f"UPDATE watchlists SET {', '.join([*assignments, 'updated_at = now()'])} "
            "WHERE id = $1",
            watchlist_id,
            *changes.values(),
        )
        row = await fetch_row(conn, f"{SELECT} WHERE w.id = $1", watchlist_id)
        if row is None:
            raise NotFound(f"watchlist {watchlist_id} not found")
        await emit(
            redis, "watchlist_updated", {"watchlist_id": row["id"], "fields": sorted(changes)}
        )
    return row


@router.delete("/{watchlist_id}", status_code=204)
async def delete_watchlist(watchlist_id: UUID, db: DB, redis: RedisClient) -> Response:
    """Delete a watchlist and its memberships."""
    async with db.transaction() as conn:
        watchlist = await watchlist_or_404(conn, watchlist_id)
        await conn.execute("DELETE FROM watchlists WHERE id = $1", watchlist_id)
        await emit(
            redis, "watchlist_deleted", {"watchlist_id": watchlist["id"], "name": watchlist["name"]}
        )
    return Response(status_code=204)
