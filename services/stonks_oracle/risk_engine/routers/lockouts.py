"""Symbol lockouts: list (all or active), get, create, lift."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from stonks_oracle.common import DB, BusinessRuleViolation, Conflict, NotFound, Page, RedisClient

from ..events import emit
from ..models import ERROR_RESPONSES, LockoutCreate, LockoutOut, LockoutState, Ticker
from ..queries import LOCKOUT_ORDER, LOCKOUTS, company_by_ticker

router = APIRouter(prefix="/api/risk/lockouts", tags=["lockouts"], responses=ERROR_RESPONSES)


async def _lockout(db: DB, lockout_id: UUID) -> dict[str, Any]:
    lockout = await db.fetch_one(f"{LOCKOUTS} WHERE id = $1", lockout_id)
    if lockout is None:
        raise NotFound(f"lockout {lockout_id} not found")
    return lockout


@router.get("", response_model=list[LockoutOut])
async def list_lockouts(
    db: DB,
    page: Page,
    state: LockoutState | None = None,
    ticker: Annotated[Ticker | None, Query()] = None,
) -> list[dict[str, Any]]:
    """All lockouts by start time, optionally by state and ticker."""
    return await db.fetch_all(
        f"{LOCKOUTS} WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR ticker = $2) "
        f"{LOCKOUT_ORDER} LIMIT $3 OFFSET $4",
        state,
        ticker,
        page.limit,
        page.offset,
    )


@router.get("/active", response_model=list[LockoutOut])
async def list_active(db: DB, page: Page) -> list[dict[str, Any]]:
    """Lockouts in force now (started, not ended, not lifted)."""
    return await db.fetch_all(
        f"{LOCKOUTS} WHERE state = 'active' {LOCKOUT_ORDER} LIMIT $1 OFFSET $2",
        page.limit,
        page.offset,
    )


@router.get("/{lockout_id}", response_model=LockoutOut)
async def get_lockout(lockout_id: UUID, db: DB) -> dict[str, Any]:
    """One lockout with its derived state."""
    return await _lockout(db, lockout_id)


@router.post("", status_code=201, response_model=LockoutOut)
async def create_lockout(body: LockoutCreate, db: DB, redis: RedisClient) -> dict[str, Any]:
    """Lock a symbol out (400 when ends_at is not after starts_at)."""
    company = await company_by_ticker(db, body.ticker)
    async with db.transaction() as conn:
        starts_at = body.starts_at or await conn.fetchval("SELECT now()")
        if body.ends_at is not None and body.ends_at <= starts_at:
            raise BusinessRuleViolation("ends_at must be after starts_at")
        lockout_id = await conn.fetchval(
            "INSERT INTO symbol_lockouts (company_id, reason, starts_at, ends_at, created_by) "
            "VALUES ($1, $2, $3, $4, $5) RETURNING id",
            company["id"],
            body.reason,
            starts_at,
            body.ends_at,
            body.created_by,
        )
        await emit(redis, "lockout_created", {"lockout_id": str(lockout_id), "ticker": body.ticker})
    return await _lockout(db, lockout_id)


@router.post("/{lockout_id}/lift", response_model=LockoutOut)
async def lift_lockout(lockout_id: UUID, db: DB, redis: RedisClient) -> dict[str, Any]:
    """End an active or scheduled lockout now (409 when it is already lifted or expired)."""
    lockout = await _lockout(db, lockout_id)
    if lockout["state"] in ("lifted", "expired"):
        raise Conflict(f"lockout {lockout_id} is already {lockout['state']}")
    async with db.transaction() as conn:
        lifted = await conn.fetchval(
            "UPDATE symbol_lockouts SET lifted_at = now() "
            "WHERE id = $1 AND lifted_at IS NULL RETURNING id",
            lockout_id,
        )
        if lifted is None:
            raise Conflict(f"lockout {lockout_id} is already lifted")
        await emit(
            redis, "lockout_lifted", {"lockout_id": str(lockout_id), "ticker": lockout["ticker"]}
        )
    return await _lockout(db, lockout_id)
