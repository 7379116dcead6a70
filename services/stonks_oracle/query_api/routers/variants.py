"""Agent variants (model, prompt version, parameters, traffic weight)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, JsonObject, Select, Text

router = APIRouter(prefix="/api/variants", tags=["agents"], responses=READ_ERRORS)

SELECT_VARIANTS = "SELECT * FROM agent_variants"


class VariantCreate(BaseModel):
    """A new variant of an agent."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: Annotated[Text, Field(min_length=1, max_length=100)]
    model: Annotated[Text, Field(min_length=1, max_length=100)]
    prompt_version: Annotated[Text, Field(min_length=1, max_length=50)]
    parameters: JsonObject = Field(default_factory=dict)
    traffic_weight: Annotated[float, Field(ge=0, le=1)] = 1.0
    is_active: bool = True


@router.get("")
async def list_variants(
    db: DB, page: Page, agent_id: UUID | None = None, is_active: bool | None = None
) -> list[dict[str, Any]]:
    """Variants of every agent, ordered by created_at then id."""
    select = (
        Select(SELECT_VARIANTS).where("agent_id = {}", agent_id).where("is_active = {}", is_active)
    )
    return await db.fetch_all(select.sql("created_at, id", page), *select.args)


@router.get("/{variant_id}")
async def get_variant(variant_id: UUID, db: DB) -> dict[str, Any]:
    """One variant (404 when unknown)."""
    variant = await db.fetch_one(f"{SELECT_VARIANTS} WHERE id = $1", variant_id)
    if variant is None:
        raise NotFound(f"variant {variant_id} not found")
    return variant
