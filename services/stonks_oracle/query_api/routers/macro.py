"""Macro (global) events and their per-company impacts."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, Select, Ticker, upper

router = APIRouter(prefix="/api/macro", tags=["macro"], responses=READ_ERRORS)

EventType = Literal[
    "monetary_policy",
    "geopolitical",
    "economic_data",
    "commodity",
    "regulatory",
    "natural_disaster",
    "other",
]
Severity = Literal["low", "medium", "high", "critical"]
Impact = Literal["positive", "negative", "neutral"]
SELECT_EVENTS = (
    "SELECT g.*, (SELECT count(*) FROM macro_impacts m WHERE m.event_id = g.id)::int"
    " AS impact_count FROM global_events g"
)
SELECT_IMPACTS = "SELECT m.*, c.ticker FROM macro_impacts m JOIN companies c ON c.id = m.company_id"


async def _event(db: DB, event_id: UUID) -> dict[str, Any]:
    event = await db.fetch_one(f"{SELECT_EVENTS} WHERE g.id = $1", event_id)
    if event is None:
        raise NotFound(f"macro event {event_id} not found")
    return event


async def _event_impacts(db: DB, event_id: UUID) -> list[dict[str, Any]]:
    return await db.fetch_all(
        f"{SELECT_IMPACTS} WHERE m.event_id = $1 ORDER BY abs(m.impact_score) DESC, m.id",
        event_id,
    )


@router.get("/events")
async def list_macro_events(
    db: DB,
    page: Page,
    event_type: EventType | None = None,
    severity: Severity | None = None,
) -> list[dict[str, Any]]:
    """Global events, most recent first, with their impact count."""
    select = (
        Select(SELECT_EVENTS)
        .where("g.event_type = {}", event_type)
        .where("g.severity = {}", severity)
    )
    return await db.fetch_all(select.sql("g.occurred_at DESC, g.id", page), *select.args)


@router.get("/events/{event_id}")
async def get_macro_event(event_id: UUID, db: DB) -> dict[str, Any]:
    """One global event with its impacts (strongest first)."""
    event = await _event(db, event_id)
    event["impacts"] = await _event_impacts(db, event_id)
    return event


@router.get("/events/{event_id}/impacts")
async def list_macro_event_impacts(event_id: UUID, db: DB) -> list[dict[str, Any]]:
    """Per-company impacts of one global event (strongest first)."""
    await _event(db, event_id)
    return await _event_impacts(db, event_id)


@router.get("/impacts")
async def list_macro_impacts(
    db: DB,
    page: Page,
    ticker: Ticker = None,
    impact_direction: Impact | None = None,
) -> list[dict[str, Any]]:
    """Macro impacts across events, by company and direction."""
    select = (
        Select(SELECT_IMPACTS)
        .where("c.ticker = {}", upper(ticker))
        .where("m.impact_direction = {}", impact_direction)
    )
    return await db.fetch_all(select.sql("m.created_at, m.id", page), *select.args)
