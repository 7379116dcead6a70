"""Request and response models of the trading-engine (they are its OpenAPI contract)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Printable text without NUL (PostgreSQL text cannot hold \x00).
TEXT = r"^[^\x00]*$"
TICKER = r"^[A-Z][A-Z0-9.\-]{0,9}$"
NAME = r"^[a-z0-9_\-]{1,64}$"

Mode = Literal["paper", "live"]
Action = Literal["buy", "sell", "hold"]
DecisionStatus = Literal["pending", "executed", "skipped", "rejected"]
Channel = Literal["email", "slack", "webhook", "sms", "log"]
NotificationStatus = Literal["pending", "delivered", "failed"]
Ticker = Annotated[str, Field(pattern=TICKER, description="exchange ticker, e.g. AAPL")]


class Strategy(BaseModel):
    """One strategy of the trading config and its weight."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME)
    enabled: bool = True
    weight: float = Field(ge=0, le=1, allow_inf_nan=False)


class ConfigIn(BaseModel):
    """Full replacement of a trading config (PUT)."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode
    enabled: bool
    max_daily_orders: int = Field(ge=0, le=100_000)
    max_position_value: float = Field(ge=0.01, le=1e15, allow_inf_nan=False)
    min_confidence: float = Field(ge=0, le=1, allow_inf_nan=False)
    strategies: list[Strategy] = Field(default_factory=list, max_length=20)
    updated_by: str | None = Field(default=None, min_length=1, max_length=100, pattern=TEXT)

    @field_validator("strategies")
    @classmethod
    def _unique_names(cls, value: list[Strategy]) -> list[Strategy]:
        names = [s.name for s in value]
        if len(names) != len(set(names)):
            raise ValueError("strategy names must be unique")
        return value


class ConfigOut(BaseModel):
    """A stored trading config."""

    id: str
    name: str
    mode: Mode
    enabled: bool
    max_daily_orders: int
    max_position_value: float
    min_confidence: float
    strategies: list[dict[str, Any]]
    updated_by: str | None
    created_at: str
    updated_at: str


class DecisionOut(BaseModel):
    """A trading decision with its company's ticker."""

    id: str
    company_id: str
    ticker: str
    recommendation_id: str | None
    order_id: str | None
    action: Action
    confidence: float
    quantity: float | None
    status: DecisionStatus
    reason: str | None
    mode: Mode
    created_at: str


class NotificationIn(BaseModel):
    """A notification to record and deliver on Redis."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    recipient: str | None = Field(default=None, min_length=1, max_length=200, pattern=TEXT)
    subject: str = Field(min_length=1, max_length=200, pattern=TEXT)
    body: str = Field(min_length=1, max_length=5000, pattern=TEXT)
    related_type: str | None = Field(default=None, pattern=r"^[a-z_]{1,50}$")
    related_id: UUID | None = None


class NotificationOut(BaseModel):
    """A stored notification."""

    id: str
    channel: Channel
    recipient: str | None
    subject: str
    body: str
    status: NotificationStatus
    related_type: str | None
    related_id: str | None
    error: str | None
    created_at: str
    delivered_at: str | None


class OverrideIn(BaseModel):
    """A manual override: halt/resume trading (globally or for one ticker) or force a decision."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["halt", "resume", "force_decision"]
    ticker: Ticker | None = None
    reason: str = Field(min_length=1, max_length=500, pattern=TEXT)
    operator: str = Field(min_length=1, max_length=100, pattern=TEXT)
    decision_action: Action | None = None
    quantity: float | None = Field(default=None, gt=0, le=1e9, allow_inf_nan=False)

    @model_validator(mode="after")
    def _consistent(self) -> OverrideIn:
        if self.action == "force_decision":
            if self.ticker is None or self.decision_action is None:
                raise ValueError("force_decision needs ticker and decision_action")
        elif self.decision_action is not None or self.quantity is not None:
            raise ValueError("decision_action and quantity are only for force_decision")
        return self


class OverrideOut(BaseModel):
    """What an override did and the event it published."""

    id: str
    action: str
    scope: str
    ticker: str | None
    reason: str
    operator: str
    changed: bool
    decision: DecisionOut | None
    event_id: str
    channel: str
    created_at: str


class HaltOut(BaseModel):
    """An active halt (scope ``global`` or a ticker)."""

    scope: str
    reason: str
    operator: str
    halted_at: str


class StatusOut(BaseModel):
    """Trading-engine status; ``redis`` is ``ok`` or ``unavailable`` (halts unknown then)."""

    service: str
    mode: Mode | None
    enabled: bool | None
    redis: Literal["ok", "unavailable"]
    halted: bool | None
    halted_tickers: list[str] | None
    decisions: dict[str, int]
    notifications: int
    open_orders: int
    positions: int


class BacktestIn(BaseModel):
    """A backtest over the seeded daily bars between two dates (inclusive)."""

    model_config = ConfigDict(extra="forbid")

    start_date: dt.date
    end_date: dt.date
    strategy: Literal["trend_following", "buy_and_hold"] = "trend_following"
    tickers: list[Ticker] | None = Field(default=None, min_length=1, max_length=50)
    initial_cash: float = Field(default=100_000.0, ge=1, le=1e12, allow_inf_nan=False)

    @model_validator(mode="after")
    def _range(self) -> BacktestIn:
        if self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        if (self.end_date - self.start_date).days > 3660:
            raise ValueError("a backtest spans at most 3660 days")
        return self


class BacktestTrade(BaseModel):
    """One round trip of one ticker."""

    ticker: str
    signal: Literal["long", "short", "flat"]
    entry_date: str | None
    entry_price: float | None
    exit_date: str | None
    exit_price: float | None
    quantity: int
    pnl: float
    return_pct: float


class BacktestOut(BaseModel):
    """Deterministic result of a backtest."""

    strategy: str
    start_date: str
    end_date: str
    initial_cash: float
    final_value: float
    total_pnl: float
    total_return_pct: float
    bars_used: int
    trades: list[BacktestTrade]


class MetricsOut(BaseModel):
    """Trading metrics computed from orders, decisions and positions."""

    start_date: str | None
    end_date: str | None
    orders: dict[str, Any]
    decisions: dict[str, Any]
    positions: dict[str, Any]
