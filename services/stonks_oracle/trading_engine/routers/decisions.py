"""Trading decisions: filtered list and detail."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query

from stonks_oracle.common import DB, NotFound, Page
from stonks_oracle.common.openapi import error_responses as errors

from ..models import TICKER, Action, DecisionOut, DecisionStatus
from ..params import Dates
from ..queries import DECISION_SELECT, utc_date_between

router = APIRouter(prefix="/api/trading/decisions", tags=["decisions"])


@router.get("", response_model=list[DecisionOut])
async def list_decisions(
    db: DB,
    page: Page,
    dates: Dates,
    ticker: str | None = Query(default=None, pattern=TICKER),
    action: Action | None = None,
    status: DecisionStatus | None = None,
) -> list[dict[str, Any]]:
    """Decisions, newest first, filtered by ticker, action, status and creation date."""
    return await db.fetch_all(
        f"""{DECISION_SELECT}
        WHERE ($1::text IS NULL OR c.ticker = $1)
          AND ($2::text IS NULL OR d.action = $2)
          AND ($3::text IS NULL OR d.status = $3)
          AND {utc_date_between("d.created_at", "$4", "$5")}
        ORDER BY d.created_at DESC, d.id
        LIMIT $6 OFFSET $7""",
        ticker,
        action,
        status,
        dates.start_date,
        dates.end_date,
        page.limit,
        page.offset,
    )


@router.get("/{decision_id}", response_model=DecisionOut, responses=errors(404))
async def get_decision(decision_id: UUID, db: DB) -> dict[str, Any]:
    """One decision (404 when unknown)."""
    decision = await db.fetch_one(f"{DECISION_SELECT} WHERE d.id = $1", decision_id)
    if decision is None:
        raise NotFound(f"trading decision {decision_id} not found")
    return decision
