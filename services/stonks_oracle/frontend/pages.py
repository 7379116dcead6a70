"""The 17 pages of the UI and their detail views: one HTML shell, one ES module per page.

Every page is the same shell (templates/shell.html) with its title, its module
(static/pages/<module>.js) and the header nav; the module fetches its data through /gateway
and sets `data-state` on <html> to "ready" (or "error" with `data-error`) once it settled.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from stonks_oracle.common import NotFound

from .gateway import Gateway

PACKAGE_DIR: Final = Path(__file__).resolve().parent
STATIC_DIR: Final = PACKAGE_DIR / "static"
SHELL: Final = (PACKAGE_DIR / "templates" / "shell.html").read_text(encoding="utf-8")
COMPANY_DETAIL_ENTRY: Final = "/company-detail"


@dataclass(frozen=True)
class PageSpec:
    """One page: its name (the manifest's), URL path template, title and ES module."""

    name: str
    path: str
    title: str
    detail_of: str = ""  # a detail view linked from that list page (not in the nav)

    @property
    def module(self) -> str:
        return f"/static/pages/{self.name}.js"

    @property
    def nav_href(self) -> str:
        # company-detail is one of the 17 pages; its nav entry opens the first company.
        return COMPANY_DETAIL_ENTRY if "{" in self.path else self.path


PAGES: Final = (
    PageSpec("dashboard", "/", "Dashboard"),
    PageSpec("companies", "/companies", "Companies"),
    PageSpec("company-detail", "/companies/{company_id}", "Company detail"),
    PageSpec("documents", "/documents", "Documents"),
    PageSpec("trends", "/trends", "Trends"),
    PageSpec("recommendations", "/recommendations", "Recommendations"),
    PageSpec("orders", "/orders", "Orders"),
    PageSpec("positions", "/positions", "Positions"),
    PageSpec("portfolio", "/portfolio", "Portfolio"),
    PageSpec("macro", "/macro", "Macro events"),
    PageSpec("competitive", "/competitive", "Competitive signals"),
    PageSpec("patterns", "/patterns", "Historical patterns"),
    PageSpec("agents", "/agents", "AI agents"),
    PageSpec("pipeline-health", "/pipeline-health", "Pipeline health"),
    PageSpec("ingestion", "/ingestion", "Ingestion"),
    PageSpec("coverage", "/coverage", "Coverage gaps"),
    PageSpec("analytics", "/analytics", "Analytics"),
    PageSpec("document-detail", "/documents/{document_id}", "Document", "documents"),
    PageSpec("trend-detail", "/trends/{trend_id}", "Trend", "trends"),
    PageSpec("recommendation-detail", "/recommendations/{recommendation_id}", "Recommendation",
             "recommendations"),
    PageSpec("order-detail", "/orders/{order_id}", "Order", "orders"),
    PageSpec("agent-detail", "/agents/{agent_id}", "Agent", "agents"),
    PageSpec("macro-detail", "/macro/{event_id}", "Macro event", "macro"),
)  # fmt: skip
NAV_PAGES: Final = tuple(page for page in PAGES if not page.detail_of)


def _nav(current: PageSpec) -> str:
    section = current.detail_of or current.name
    items = []
    for page in NAV_PAGES:
        here = ' aria-current="page"' if page.name == section else ""
        items.append(
            f'<li><a href="{escape(page.nav_href)}" data-nav="{page.name}"{here}>'
            f"{escape(page.title)}</a></li>"
        )
    return '<ul class="nav">' + "".join(items) + "</ul>"


def render_shell(page: PageSpec) -> str:
    """The page's HTML: the shell with its name, title, module and nav filled in."""
    return (
        SHELL.replace("{{page}}", escape(page.name))
        .replace("{{title}}", escape(page.title))
        .replace("{{module}}", escape(page.module))
        .replace("{{nav}}", _nav(page))
    )


def _page_endpoint(html: str) -> Callable[[], Awaitable[HTMLResponse]]:
    async def serve() -> HTMLResponse:
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    return serve


router = APIRouter()
for _page in PAGES:
    router.add_api_route(
        _page.path,
        _page_endpoint(render_shell(_page)),
        methods=["GET"],
        response_class=HTMLResponse,
        include_in_schema=False,
        name=f"page:{_page.name}",
    )


@router.get(COMPANY_DETAIL_ENTRY, include_in_schema=False)
async def company_detail_entry(request: Request) -> Response:
    """The nav's company-detail entry: the first company's page, or the list if none answers."""
    gateway: Gateway = request.app.state.gateway
    try:
        response = await gateway.forward("query-api", "api/companies", "limit=1")
    except NotFound:  # no query-api configured
        response = Response(status_code=404)
    if response.status_code == 200:
        companies = json.loads(bytes(response.body))
        if isinstance(companies, list) and companies and "id" in companies[0]:
            return RedirectResponse(f"/companies/{companies[0]['id']}", status_code=307)
    return RedirectResponse("/companies", status_code=307)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    return Response(
        (STATIC_DIR / "favicon.svg").read_bytes(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "max-age=86400"},
    )
