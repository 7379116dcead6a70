"""Exposure profile of a company: get it, or replace it whole with PUT."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body

from stonks_oracle.common import DB, BusinessRuleViolation, RedisClient
from stonks_oracle.common.db import row_to_dict

from ..events import emit
from ..lookups import company_or_404
from ..models import ERROR_RESPONSES, ExposureIn, ExposureOut

router = APIRouter(prefix="/api/companies", tags=["exposure"], responses=ERROR_RESPONSES)
ORDER = "ORDER BY exposure_type, exposure_key, id"


@router.get("/{company_id}/exposure", response_model=list[ExposureOut])
async def get_exposure(company_id: UUID, db: DB) -> list[dict[str, Any]]:
    """The company's exposure entries ordered by type and key ([] when it has none)."""
    await company_or_404(db, company_id)
    return await db.fetch_all(
        f"SELECT * FROM exposure_profiles WHERE company_id = $1 {ORDER}", company_id
    )


@router.put("/{company_id}/exposure", response_model=list[ExposureOut])
async def put_exposure(
    company_id: UUID,
    entries: Annotated[list[ExposureIn], Body(max_length=100)],
    db: DB,
    redis: RedisClient,
) -> list[dict[str, Any]]:
    """Replace the profile with ``entries`` (400 when a type + key pair repeats)."""
    keys = {(entry.exposure_type, entry.exposure_key) for entry in entries}
    if len(keys) != len(entries):
        raise BusinessRuleViolation("each exposure_type + exposure_key may appear once")
    async with db.transaction() as conn:
        await company_or_404(conn, company_id)
        await conn.execute("DELETE FROM exposure_profiles WHERE company_id = $1", company_id)
        await conn.executemany(
            "INSERT INTO exposure_profiles "
            "(company_id, exposure_type, exposure_key, weight, sensitivity, notes) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            [
                (company_id, e.exposure_type, e.exposure_key, e.weight, e.sensitivity, e.notes)
                for e in entries
            ],
        )
        rows = await conn.fetch(
            f"SELECT * FROM exposure_profiles WHERE company_id = $1 {ORDER}", company_id
        )
        await emit(
            redis, "exposure_updated", {"company_id": str(company_id), "entries": len(entries)}
        )
    return [row_to_dict(row) for row in rows]
