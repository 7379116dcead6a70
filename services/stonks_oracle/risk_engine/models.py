"""Request and response bodies of risk-engine (column names, JSON-ready values)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from stonks_oracle.common.openapi import error_responses

# PostgreSQL text cannot hold NUL; keeping it out of the schema keeps generated input valid.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=NO_NUL)]
Ticker = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9.\-]{0,9}$")]
Money = Annotated[float, Field(gt=0, lt=1e15)]
Side = Literal["buy", "sell"]
Decision = Literal["approved", "rejected", "needs_approval"]
Outcome = Literal["pass", "reject", "needs_approval", "skipped"]
ApprovalStatus = Literal["pending", "approved", "rejected", "expired"]
LockoutState = Literal["active", "scheduled", "expired", "lifted"]


ERROR_RESPONSES = error_responses(400, 401, 404, 409, 429, 503)


class Body(BaseModel):
    """Request bodies reject unknown fields."""

    model_config = ConfigDict(extra="forbid")


class EvaluateRequest(Body):
    """A proposed order; macro_enabled / competitive_enabled override the config if given."""

    ticker: Ticker
    side: Side
    quantity: Annotated[float, Field(ge=1e-6, le=1e9)]
    price: Annotated[float, Field(gt=0, le=1e6)]
    confidence: Annotated[float, Field(ge=0, le=1)] | None = None
    recommendation_id: UUID | None = None
    order_id: UUID | None = None
    macro_enabled: bool | None = None
    competitive_enabled: bool | None = None
    request_approval: bool = Field(
        default=True, description="create a pending operator approval when one is needed"
    )


class CheckOut(BaseModel):
    name: str
    outcome: Outcome
    detail: str


class EvaluationOut(BaseModel):
    decision: Decision
    approved: bool
    ticker: str
    company_id: str
    side: Side
    quantity: float
    price: float
    order_value: float
    reasons: list[str]
    checks: list[CheckOut]
    macro_enabled: bool
    competitive_enabled: bool
    macro_score: float | None
    competitive_score: float | None
    approval_id: str | None


class ApprovalOut(BaseModel):
    id: str
    company_id: str
    ticker: str
    order_id: str | None
    recommendation_id: str | None
    side: str
    quantity: float
    order_value: float
    reason: str
    status: ApprovalStatus
    requested_at: str
    expires_at: str
    reviewed_at: str | None
    reviewer: str | None
    decision_note: str | None
    created_at: str


class ReviewRequest(Body):
    decision: Literal["approve", "reject"]
    reviewer: Text
    note: Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)] | None = None


class LockoutCreate(Body):
    """Lock a symbol out of trading from starts_at (default now) until ends_at (or lifted)."""

    ticker: Ticker
    reason: Text
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    created_by: Text = "operator"


class LockoutOut(BaseModel):
    id: str
    company_id: str
    ticker: str
    reason: str
    starts_at: str
    ends_at: str | None
    lifted_at: str | None
    created_by: str
    created_at: str
    state: LockoutState


class SnapshotOut(BaseModel):
    id: str
    snapshot_date: str
    gross_exposure: float
    net_exposure: float
    var_95: float
    max_drawdown_pct: float
    open_positions: int
    pending_approvals: int
    active_lockouts: int
    breaches: list[Any]
    created_at: str


class RiskConfigIn(Body):
    """Every editable setting of the risk configuration (PUT replaces them all)."""

    max_position_size: Annotated[float, Field(gt=0, lt=1e11)]
    max_position_value: Money
    max_order_value: Money
    approval_threshold_value: Money
    max_daily_loss: Money
    min_confidence: Annotated[float, Field(ge=0, le=1)]
    approval_ttl_minutes: Annotated[int, Field(ge=1, le=525_600)]
    macro_enabled: bool
    competitive_enabled: bool
    updated_by: Text | None = None


class RiskConfigOut(BaseModel):
    id: str
    name: str
    max_position_size: float
    max_position_value: float
    max_order_value: float
    approval_threshold_value: float
    max_daily_loss: float
    min_confidence: float
    approval_ttl_minutes: int
    macro_enabled: bool
    competitive_enabled: bool
    updated_by: str | None
    created_at: str
    updated_at: str
