"""Request and response bodies of symbol-registry (column names, JSON-ready values)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from stonks_oracle.common.openapi import error_responses

# PostgreSQL text cannot hold NUL; keeping it out of the schema keeps generated input valid.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=NO_NUL)]
LongText = Annotated[str, StringConstraints(max_length=4000, pattern=NO_NUL)]
Ticker = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9.\-]{0,9}$")]
Fraction = Annotated[float, Field(ge=0, le=1)]
SourceType = Literal["news", "filing", "rss", "press_release", "social", "api"]
AliasType = Literal["name", "brand", "former_name", "abbreviation", "ticker"]
RelationshipType = Literal["direct", "indirect", "supplier", "customer", "partner"]
ExposureType = Literal[
    "region", "sector", "commodity", "currency", "supplier", "customer", "macro_factor"
]


ERROR_RESPONSES = error_responses(400, 401, 404, 409, 429, 503)


class Body(BaseModel):
    """Request bodies reject unknown fields."""

    model_config = ConfigDict(extra="forbid")


class CompanyCreate(Body):
    ticker: Ticker
    name: Text
    sector: Text | None = None
    industry: Text | None = None
    exchange: Text | None = None
    market_cap: float | None = Field(default=None, ge=0, lt=1e17)
    is_active: bool = True


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be omitted but not null")
    return value


class CompanyUpdate(Body):
    """Partial update: only the fields sent change; ticker, name, is_active are never null."""

    ticker: Ticker | None = None
    name: Text | None = None
    sector: Text | None = None
    industry: Text | None = None
    exchange: Text | None = None
    market_cap: float | None = Field(default=None, ge=0, lt=1e17)
    is_active: bool | None = None

    _required = field_validator("ticker", "name", "is_active")(_not_null)


class CompanyOut(BaseModel):
    id: str
    ticker: str
    name: str
    sector: str | None
    industry: str | None
    exchange: str | None
    market_cap: float | None
    is_active: bool
    created_at: str
    updated_at: str


class SourceCreate(Body):
    source_type: SourceType
    name: Text
    url: Text | None = None
    is_active: bool = True


class SourceOut(BaseModel):
    id: str
    company_id: str
    source_type: str
    name: str
    url: str | None
    is_active: bool
    created_at: str


class AliasCreate(Body):
    alias: Text
    alias_type: AliasType = "name"


class AliasOut(BaseModel):
    id: str
    company_id: str
    alias: str
    alias_type: str
    created_at: str


class CompetitorCreate(Body):
    competitor_id: UUID
    relationship_type: RelationshipType = "direct"
    strength: Fraction = 0.5
    notes: LongText | None = None


class CompetitorOut(BaseModel):
    id: str
    company_id: str
    competitor_id: str
    competitor_ticker: str
    competitor_name: str
    relationship_type: str
    strength: float
    notes: str | None
    created_at: str


class ExposureIn(Body):
    exposure_type: ExposureType
    exposure_key: Text
    weight: Fraction
    sensitivity: float | None = Field(default=None, ge=-1, le=1)
    notes: LongText | None = None


class ExposureOut(BaseModel):
    id: str
    company_id: str
    exposure_type: str
    exposure_key: str
    weight: float
    sensitivity: float | None
    notes: str | None
    created_at: str
    updated_at: str


class WatchlistCreate(Body):
    name: Text
    description: LongText | None = None
    owner: Text = "operator"


class WatchlistUpdate(Body):
    """Partial update; name and owner are never null."""

    name: Text | None = None
    description: LongText | None = None
    owner: Text | None = None

    _required = field_validator("name", "owner")(_not_null)


class WatchlistOut(BaseModel):
    id: str
    name: str
    description: str | None
    owner: str
    member_count: int
    created_at: str
    updated_at: str


class MemberCreate(Body):
    company_id: UUID
    notes: LongText | None = None


class MemberOut(BaseModel):
    id: str
    watchlist_id: str
    company_id: str
    ticker: str
    name: str
    notes: str | None
    added_at: str
