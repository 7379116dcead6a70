"""SQL shared by the risk-engine routers."""

from __future__ import annotations

from typing import Any

import asyncpg

from stonks_oracle.common import NotFound
from stonks_oracle.common.db import Database, row_to_dict

# Approvals as clients see them: a pending approval past expires_at reads as 'expired'.
APPROVALS = """
SELECT a.id, a.company_id, c.ticker, a.order_id, a.recommendation_id, a.side, a.quantity,
       a.order_value, a.reason,
       CASE WHEN a.status = 'pending' AND a.expires_at <= now() THEN 'expired'
            ELSE a.status END AS status,
       a.requested_at, a.expires_at, a.reviewed_at, a.reviewer, a.decision_note, a.created_at
FROM operator_approvals AS a JOIN companies AS c ON c.id = a.company_id
"""
APPROVAL_ORDER = "ORDER BY a.requested_at, a.id"

LOCKOUTS = """
SELECT id, company_id, ticker, reason, starts_at, ends_at, lifted_at, created_by, created_at,
       state
FROM symbol_lockout_states
"""
LOCKOUT_ORDER = "ORDER BY starts_at, id"


async def risk_config(source: Database | asyncpg.Connection) -> dict[str, Any]:
    """The 'default' risk configuration (404 if it was never seeded)."""
    query = "SELECT * FROM risk_config WHERE name = 'default'"
    if isinstance(source, Database):
        config = await source.fetch_one(query)
    else:
        row = await source.fetchrow(query)
        config = None if row is None else row_to_dict(row)
    if config is None:
        raise NotFound("risk config not found")
    return config


async def company_by_ticker(db: Database, ticker: str) -> dict[str, Any]:
    """The company with ``ticker`` (404 when unknown)."""
    company = await db.fetch_one("SELECT * FROM companies WHERE ticker = $1", ticker)
    if company is None:
        raise NotFound(f"ticker {ticker} not found")
    return company
