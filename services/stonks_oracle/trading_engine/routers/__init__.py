"""HTTP routes of trading-engine: one module per resource, each router listed in ROUTERS."""

from fastapi import APIRouter

from . import backtest, config, decisions, metrics, notifications, override, status

ROUTERS: list[APIRouter] = [
    status.router,
    config.router,
    decisions.router,
    metrics.router,
    backtest.router,
    notifications.router,
    override.router,
]
