"""Operator approvals: list (all or pending), get, review, and sweep expired ones.

A pending approval past its expires_at reads as 'expired' everywhere; reviewing it stores
that status and answers 400. Reviewing an approval that was already decided answers 409.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from stonks_oracle.common import (
    DB,
    BusinessRuleViolation,
    Conflict,
    NotFound,
    Page,
    RedisClient,
)

from ..events import emit
from ..models import ERROR_RESPONSES, ApprovalOut, ApprovalStatus, ReviewRequest, Ticker
from ..queries import APPROVAL_ORDER, APPROVALS

router = APIRouter(prefix="/api/risk/approvals", tags=["approvals"], responses=ERROR_RESPONSES)


async def _approval(db: DB, approval_id: UUID) -> dict[str, Any]:
    approval = await db.fetch_one(f"{APPROVALS} WHERE a.id = $1", approval_id)
    if approval is None:
        raise NotFound(f"approval {approval_id} not found")
    return approval


@router.get("", response_model=list[ApprovalOut])
async def list_approvals(
    db: DB,
    page: Page,
    status: ApprovalStatus | None = None,
    ticker: Annotated[Ticker | None, Query()] = None,
) -> list[dict[str, Any]]:
    """All approvals, oldest request first, optionally by (effective) status and ticker."""
    return await db.fetch_all(
        f"SELECT * FROM ({APPROVALS}) AS a "
        "WHERE ($1::text IS NULL OR a.status = $1) AND ($2::text IS NULL OR a.ticker = $2) "
        f"{APPROVAL_ORDER} LIMIT $3 OFFSET $4",
        status,
        ticker,
        page.limit,
        page.offset,
    )


@router.get("/pending", response_model=list[ApprovalOut])
async def list_pending(db: DB, page: Page) -> list[dict[str, Any]]:
    """Approvals still waiting for an operator (pending and not yet expired)."""
    return await db.fetch_all(
        f"{APPROVALS} WHERE a.status = 'pending' AND a.expires_at > now() "
        f"{APPROVAL_ORDER} LIMIT $1 OFFSET $2",
        page.limit,
        page.offset,
    )


@router.post("/expire", response_model=list[ApprovalOut])
async def expire_overdue(db: DB, redis: RedisClient) -> list[dict[str, Any]]:
    """Store 'expired' on every pending approval past its expires_at; returns those."""
    async with db.transaction() as conn:
        ids = [
            row["id"]
            for row in await conn.fetch(
                "UPDATE operator_approvals SET status = 'expired' "
                "WHERE status = 'pending' AND expires_at <= now() RETURNING id"
            )
        ]
        for approval_id in ids:
            await emit(redis, "approval_expired", {"approval_id": str(approval_id)})
    return await db.fetch_all(f"{APPROVALS} WHERE a.id = ANY($1::uuid[]) {APPROVAL_ORDER}", ids)


@router.get("/{approval_id}", response_model=ApprovalOut)
async def get_approval(approval_id: UUID, db: DB) -> dict[str, Any]:
    """One approval (status 'expired' once a pending one is past expires_at)."""
    return await _approval(db, approval_id)


@router.post("/{approval_id}/review", response_model=ApprovalOut)
async def review_approval(
    approval_id: UUID, body: ReviewRequest, db: DB, redis: RedisClient
) -> dict[str, Any]:
    """Approve or reject a pending approval (409 if already decided, 400 if expired)."""
    status = "approved" if body.decision == "approve" else "rejected"
    async with db.transaction() as conn:
        current = await conn.fetchrow(
            "SELECT status, expires_at <= now() AS overdue FROM operator_approvals "
            "WHERE id = $1 FOR UPDATE",
            approval_id,
        )
        if current is None:
            raise NotFound(f"approval {approval_id} not found")
        if current["status"] in ("approved", "rejected"):
            raise Conflict(f"approval {approval_id} is already {current['status']}")
        expired = current["status"] == "expired" or current["overdue"]
        if not expired:
            await conn.execute(
                "UPDATE operator_approvals SET status = $2, reviewed_at = now(), reviewer = $3, "
                "decision_note = $4 WHERE id = $1",
                approval_id,
                status,
                body.reviewer,
                body.note,
            )
            await emit(
                redis,
                "approval_reviewed",
                {"approval_id": str(approval_id), "status": status, "reviewer": body.reviewer},
            )
        elif current["status"] == "pending":
            await conn.execute(
                "UPDATE operator_approvals SET status = 'expired' WHERE id = $1", approval_id
            )
            await emit(redis, "approval_expired", {"approval_id": str(approval_id)})
    if expired:
        raise BusinessRuleViolation(f"approval {approval_id} has expired")
    return await _approval(db, approval_id)
