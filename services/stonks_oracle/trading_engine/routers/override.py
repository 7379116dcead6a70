"""Manual overrides: halt / resume trading (global or per ticker) and forced decisions.

Halts live in Redis; every override publishes ``stonks.trading.<halted|resumed|
decision_forced>``. While Redis is unreachable an override answers 503 and changes nothing;
the shared Redis client reconnects by itself once Redis is back.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from fastapi import APIRouter

from stonks_oracle.common import DB, BusinessRuleViolation, NotFound, RedisClient, publish_event
from stonks_oracle.common.db import row_to_dict
from stonks_oracle.common.openapi import error_responses as errors

from ..halts import GLOBAL, blocking_scope, clear_halt, get_halts, set_halt
from ..models import HaltOut, OverrideIn, OverrideOut
from ..queries import DECISION_SELECT

router = APIRouter(prefix="/api/trading", tags=["override"])

INSERT_DECISION = """
INSERT INTO trading_decisions (company_id, action, confidence, quantity, status, reason, mode)
VALUES ($1, $2, 1, $3, 'pending', $4,
        coalesce((SELECT mode FROM trading_config WHERE name = 'default'), 'paper'))
RETURNING id
"""


@router.get("/overrides", response_model=list[HaltOut], responses=errors(503))
async def list_halts(redis: RedisClient) -> list[dict[str, Any]]:
    """Active halts, ``global`` first, then tickers in order (503 while Redis is down)."""
    halts = await get_halts(redis)
    ordered = sorted(halts.items(), key=lambda item: (item[0] != GLOBAL, item[0]))
    return [{"scope": scope, **record} for scope, record in ordered]


async def _company_id(db: DB, ticker: str) -> str:
    """The id of the company trading as ``ticker`` (404 when there is none)."""
    company_id: str | None = await db.fetch_value(
        "SELECT id FROM companies WHERE ticker = $1", ticker
    )
    if company_id is None:
        raise NotFound(f"company {ticker} not found")
    return company_id


async def _force_decision(db: DB, redis: RedisClient, body: OverrideIn) -> dict[str, Any]:
    """Record a pending decision for an unlocked, unhalted ticker and publish it."""
    assert body.ticker is not None
    company_id = await _company_id(db, body.ticker)
    locked = await db.fetch_value(
        "SELECT count(*) FROM symbol_lockout_states WHERE ticker = $1 AND state = 'active'",
        body.ticker,
    )
    if locked:
        raise BusinessRuleViolation(f"symbol locked out: {body.ticker}")
    scope = blocking_scope(await get_halts(redis), body.ticker)
    if scope is not None:
        raise BusinessRuleViolation(f"trading halted ({scope})")
    quantity = None if body.quantity is None else Decimal(str(body.quantity))
    async with db.transaction() as conn:
        decision_id = await conn.fetchval(
            INSERT_DECISION,
            uuid.UUID(company_id),
            body.decision_action,
            quantity,
            f"manual override by {body.operator}: {body.reason}",
        )
        decision = row_to_dict(
            await conn.fetchrow(f"{DECISION_SELECT} WHERE d.id = $1", decision_id)
        )
        event = await publish_event(
            redis, "trading", "decision_forced", {"operator": body.operator, "decision": decision}
        )
    return {"changed": True, "decision": decision, "event": event}


@router.post("/override", response_model=OverrideOut, responses=errors(400, 404, 503))
async def override(body: OverrideIn, db: DB, redis: RedisClient) -> dict[str, Any]:
    """Apply a manual override and publish it (503 while Redis is unreachable).

    ``halt``/``resume`` act on ``ticker`` or, without one, on all trading; ``changed`` is
    false when the scope already was in the requested state. ``force_decision`` records a
    pending decision (400 when the ticker is locked out or halted). Unknown tickers: 404.
    """
    scope = body.ticker or GLOBAL
    common = {
        "scope": scope,
        "ticker": body.ticker,
        "reason": body.reason,
        "operator": body.operator,
    }
    if body.action == "force_decision":
        outcome = await _force_decision(db, redis, body)
    else:
        if body.ticker is not None:
            await _company_id(db, body.ticker)
        if body.action == "halt":
            changed = await set_halt(redis, scope, body.reason, body.operator)
            event_name = "halted"
        else:
            changed = await clear_halt(redis, scope)
            event_name = "resumed"
        event = await publish_event(redis, "trading", event_name, {**common, "changed": changed})
        outcome = {"changed": changed, "decision": None, "event": event}
    event = outcome.pop("event")
    return {
        "id": event["event_id"],
        "action": body.action,
        **common,
        **outcome,
        "event_id": event["event_id"],
        "channel": event["channel"],
        "created_at": event["occurred_at"],
    }
