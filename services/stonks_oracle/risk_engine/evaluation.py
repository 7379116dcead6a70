"""The risk decision for one proposed order, as a pure function of what the database holds.

Rules, in order (every check is reported; any "reject" rejects, else any "needs_approval"
asks an operator, else the order is approved):

- the company must be active and must not have an active symbol lockout;
- order value <= max_order_value; for buys the resulting position must stay within
  max_position_size (shares) and max_position_value (at the order price);
- a given confidence must reach min_confidence;
- macro (when enabled): score = sum(impact_score * confidence) of the company's macro impacts;
  its adverse part (-score for a buy, +score for a sell) rejects at >= MACRO_REJECT and asks
  for approval at >= MACRO_REVIEW;
- competitive (when enabled): score = sum(+/-strength) of the signals against the company
  (negative impact counts -strength); adverse part rejects at >= COMPETITIVE_REJECT and asks
  for approval at >= COMPETITIVE_REVIEW;
- order value above approval_threshold_value asks for approval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

MACRO_REJECT = 0.25
MACRO_REVIEW = 0.10
COMPETITIVE_REJECT = 0.50
COMPETITIVE_REVIEW = 0.30
DIRECTION_SIGN = {"positive": 1.0, "negative": -1.0, "neutral": 0.0}


@dataclass(frozen=True, slots=True)
class Proposal:
    """What is evaluated: the order and the facts about its company."""

    ticker: str
    side: str
    quantity: float
    price: float
    confidence: float | None
    company_active: bool
    lockout_reason: str | None
    held_quantity: float
    macro_impacts: Sequence[tuple[float, float]]  # (impact_score, confidence)
    competitive_signals: Sequence[tuple[str, float]]  # (impact_direction, strength)


@dataclass(slots=True)
class Evaluation:
    """Checks in evaluation order, and the decision they lead to."""

    macro_enabled: bool
    competitive_enabled: bool
    order_value: float
    checks: list[dict[str, str]] = field(default_factory=list)
    macro_score: float | None = None
    competitive_score: float | None = None

    def add(self, name: str, outcome: str, detail: str) -> None:
        self.checks.append({"name": name, "outcome": outcome, "detail": detail})

    @property
    def decision(self) -> str:
        outcomes = {check["outcome"] for check in self.checks}
        if "reject" in outcomes:
            return "rejected"
        return "needs_approval" if "needs_approval" in outcomes else "approved"

    @property
    def reasons(self) -> list[str]:
        """Details of the checks that did not pass (rejections first)."""
        ordered = sorted(
            (c for c in self.checks if c["outcome"] in ("reject", "needs_approval")),
            key=lambda c: c["outcome"] != "reject",
        )
        return [c["detail"] for c in ordered]


def _adverse(side: str, score: float) -> float:
    return -score if side == "buy" else score


def _limit(result: Evaluation, name: str, what: str, amount: float, limit: float) -> None:
    if amount > limit:
        result.add(name, "reject", f"{what} {amount:.2f} exceeds {name} {limit:.2f}")
    else:
        result.add(name, "pass", f"{what} {amount:.2f} within {name} {limit:.2f}")


def _graded(
    result: Evaluation, name: str, adverse: float, reject_at: float, review_at: float
) -> None:
    if adverse >= reject_at:
        result.add(name, "reject", f"{name} signals adverse by {adverse:.4f} (limit {reject_at})")
    elif adverse >= review_at:
        result.add(
            name,
            "needs_approval",
            f"{name} signals adverse by {adverse:.4f} (review at {review_at})",
        )
    else:
        result.add(name, "pass", f"{name} adverse score {adverse:.4f}")


def evaluate(
    proposal: Proposal, config: dict[str, Any], *, macro_enabled: bool, competitive_enabled: bool
) -> Evaluation:
    """Run every rule against ``config`` (a risk_config row) and return the evaluation."""
    p = proposal
    value = round(p.quantity * p.price, 2)
    result = Evaluation(macro_enabled, competitive_enabled, value)
    if p.company_active:
        result.add("company_active", "pass", f"{p.ticker} is active")
    else:
        result.add("company_active", "reject", f"{p.ticker} is not active")
    if p.lockout_reason is None:
        result.add("symbol_lockout", "pass", f"{p.ticker} has no active lockout")
    else:
        result.add("symbol_lockout", "reject", f"{p.ticker} is locked out: {p.lockout_reason}")

    _limit(result, "max_order_value", "order value", value, config["max_order_value"])
    if p.side == "buy":
        shares = p.held_quantity + p.quantity
        _limit(result, "max_position_size", "position shares", shares, config["max_position_size"])
        exposure = round(shares * p.price, 2)
        limit = config["max_position_value"]
        _limit(result, "max_position_value", "position value", exposure, limit)
    if p.confidence is not None:
        floor = config["min_confidence"]
        if p.confidence < floor:
            result.add("min_confidence", "reject", f"confidence {p.confidence} below {floor}")
        else:
            result.add("min_confidence", "pass", f"confidence {p.confidence} reaches {floor}")

    if macro_enabled:
        result.macro_score = round(sum(s * c for s, c in p.macro_impacts), 6)
        adverse = _adverse(p.side, result.macro_score)
        _graded(result, "macro", adverse, MACRO_REJECT, MACRO_REVIEW)
    else:
        result.add("macro", "skipped", "macro checks disabled")
    if competitive_enabled:
        score = sum(DIRECTION_SIGN[d] * s for d, s in p.competitive_signals)
        result.competitive_score = round(score, 6)
        adverse = _adverse(p.side, result.competitive_score)
        _graded(result, "competitive", adverse, COMPETITIVE_REJECT, COMPETITIVE_REVIEW)
    else:
        result.add("competitive", "skipped", "competitive checks disabled")

    threshold = config["approval_threshold_value"]
    if value > threshold:
        detail = f"order value {value:.2f} exceeds approval threshold {threshold:.2f}"
        result.add("approval_threshold", "needs_approval", detail)
    else:
        result.add("approval_threshold", "pass", f"order value {value:.2f} within {threshold:.2f}")
    return result
