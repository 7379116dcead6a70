"""HTTP routes of risk-engine: one module per resource, each router listed in ROUTERS."""

from fastapi import APIRouter

from . import approvals, config, evaluate, lockouts, snapshots

ROUTERS: list[APIRouter] = [
    evaluate.router,
    approvals.router,
    lockouts.router,
    snapshots.router,
    config.router,
]
