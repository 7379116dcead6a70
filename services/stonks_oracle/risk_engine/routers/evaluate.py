"""POST /api/risk/evaluate: the risk decision for a proposed order."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, RedisClient

from ..evaluation import Proposal, evaluate
from ..events import emit
from ..models import ERROR_RESPONSES, EvaluateRequest, EvaluationOut
from ..queries import company_by_ticker, risk_config

router = APIRouter(prefix="/api/risk", tags=["evaluate"], responses=ERROR_RESPONSES)


async def _proposal(db: DB, body: EvaluateRequest, company: dict[str, Any]) -> Proposal:
    company_id = company["id"]
    for table, ref in (("recommendations", body.recommendation_id), ("orders", body.order_id)):
        if ref is not None and not await db.fetch_value(
            f"SELECT 1 FROM {table} WHERE id = $1", ref
        ):
            raise NotFound(f"{table[:-1]} {ref} not found")
    lockout = await db.fetch_one(
        "SELECT reason FROM symbol_lockout_states WHERE company_id = $1 AND state = 'active' "
        "ORDER BY starts_at, id LIMIT 1",
        company_id,
    )
    held = await db.fetch_value("SELECT quantity FROM positions WHERE company_id = $1", company_id)
    impacts = await db.fetch_all(
        "SELECT impact_score, confidence FROM macro_impacts WHERE company_id = $1", company_id
    )
    signals = await db.fetch_all(
        "SELECT impact_direction, strength FROM competitive_signals WHERE company_id = $1",
        company_id,
    )
    return Proposal(
        ticker=company["ticker"],
        side=body.side,
        quantity=body.quantity,
        price=body.price,
        confidence=body.confidence,
        company_active=company["is_active"],
        lockout_reason=None if lockout is None else lockout["reason"],
        held_quantity=float(held or 0),
        macro_impacts=[(r["impact_score"], r["confidence"]) for r in impacts],
        competitive_signals=[(r["impact_direction"], r["strength"]) for r in signals],
    )


@router.post("/evaluate", response_model=EvaluationOut)
async def evaluate_order(body: EvaluateRequest, db: DB, redis: RedisClient) -> dict[str, Any]:
    """Approve, reject or send to an operator (creating a pending approval if asked to)."""
    company = await company_by_ticker(db, body.ticker)
    config = await risk_config(db)
    macro = config["macro_enabled"] if body.macro_enabled is None else body.macro_enabled
    competitive = (
        config["competitive_enabled"]
        if body.competitive_enabled is None
        else body.competitive_enabled
    )
    result = evaluate(
        await _proposal(db, body, company),
        config,
        macro_enabled=macro,
        competitive_enabled=competitive,
    )
    out: dict[str, Any] = {
        "decision": result.decision,
        "approved": result.decision == "approved",
        "ticker": company["ticker"],
        "company_id": company["id"],
        "side": body.side,
        "quantity": body.quantity,
        "price": body.price,
        "order_value": result.order_value,
        "reasons": result.reasons,
        "checks": result.checks,
        "macro_enabled": macro,
        "competitive_enabled": competitive,
        "macro_score": result.macro_score,
        "competitive_score": result.competitive_score,
        "approval_id": None,
    }
    async with db.transaction() as conn:
        if result.decision == "needs_approval" and body.request_approval:
            approval_id = await conn.fetchval(
                """
                INSERT INTO operator_approvals (company_id, order_id, recommendation_id, side,
                    quantity, order_value, reason, requested_at, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now() + make_interval(mins => $8))
                RETURNING id
                """,
                company["id"],
                body.order_id,
                body.recommendation_id,
                body.side,
                body.quantity,
                result.order_value,
                "; ".join(result.reasons),
                config["approval_ttl_minutes"],
            )
            out["approval_id"] = str(approval_id)
            await emit(
                redis,
                "approval_requested",
                {"approval_id": out["approval_id"], "ticker": out["ticker"]},
            )
        await emit(
            redis,
            "order_evaluated",
            {k: out[k] for k in ("ticker", "side", "decision", "order_value", "approval_id")},
        )
    return out
