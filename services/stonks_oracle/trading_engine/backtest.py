"""A deterministic one-round-trip-per-ticker backtest over daily bars (pure functions).

The cash is split equally between the tickers. Each ticker with a ``long`` or ``short`` signal
buys (or sells short) as many whole shares as its share of the cash allows at the open of its
first bar in the range, and closes the position at the close of its last bar. Arithmetic is
Decimal; results are rounded to 4 places.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal

Signal = Literal["long", "short", "flat"]
FOUR = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Bar:
    """One daily bar: its date, open and close."""

    day: dt.date
    open: Decimal
    close: Decimal


def _money(value: Decimal) -> float:
    return float(value.quantize(FOUR))


def round_trip(ticker: str, signal: Signal, bars: Sequence[Bar], budget: Decimal) -> dict[str, Any]:
    """The trade of one ticker: whole shares, entry at the first open, exit at the last close."""
    if signal == "flat" or not bars:
        quantity, pnl, cost = 0, Decimal(0), Decimal(0)
    else:
        entry, exit_ = bars[0].open, bars[-1].close
        quantity = int((budget / entry).to_integral_value(rounding=ROUND_FLOOR))
        move = exit_ - entry if signal == "long" else entry - exit_
        pnl, cost = move * quantity, entry * quantity
    traded = quantity > 0
    return {
        "ticker": ticker,
        "signal": signal,
        "entry_date": bars[0].day.isoformat() if traded else None,
        "entry_price": _money(bars[0].open) if traded else None,
        "exit_date": bars[-1].day.isoformat() if traded else None,
        "exit_price": _money(bars[-1].close) if traded else None,
        "quantity": quantity,
        "pnl": _money(pnl),
        "return_pct": _money(pnl / cost * 100) if cost else 0.0,
    }


def run_backtest(
    signals: Mapping[str, Signal], bars: Mapping[str, Sequence[Bar]], initial_cash: Decimal
) -> dict[str, Any]:
    """Trades (in the order of ``signals``), final value, P&L and return of the whole book."""
    budget = initial_cash / len(signals) if signals else Decimal(0)
    trades = [round_trip(t, s, bars.get(t, ()), budget) for t, s in signals.items()]
    total = sum((Decimal(str(t["pnl"])) for t in trades), Decimal(0))
    return {
        "initial_cash": _money(initial_cash),
        "final_value": _money(initial_cash + total),
        "total_pnl": _money(total),
        "total_return_pct": _money(total / initial_cash * 100),
        "bars_used": sum(len(b) for t, b in bars.items() if t in signals),
        "trades": trades,
    }
