"""HTTP routes of query-api: one module per resource, each router listed in ROUTERS."""

from fastapi import APIRouter

from . import (
    agents,
    analytics,
    companies,
    competitive,
    documents,
    evidence,
    macro,
    ops,
    orders,
    patterns,
    portfolio,
    positions,
    recommendations,
    saved_queries,
    trends,
    variants,
)

ROUTERS: list[APIRouter] = [
    companies.router,
    documents.router,
    evidence.router,
    trends.router,
    recommendations.router,
    orders.router,
    positions.router,
    portfolio.router,
    macro.router,
    competitive.router,
    patterns.router,
    ops.router,
    agents.router,
    variants.router,
    analytics.router,
    saved_queries.router,
]
