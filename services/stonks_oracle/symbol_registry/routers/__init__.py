"""HTTP routes of symbol-registry: one module per resource, each router listed in ROUTERS."""

from fastapi import APIRouter

from . import aliases, companies, competitors, exposure, members, sources, watchlists

ROUTERS: list[APIRouter] = [
    companies.router,
    sources.router,
    aliases.router,
    competitors.router,
    exposure.router,
    watchlists.router,
    members.router,
]
