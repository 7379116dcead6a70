"""frontend: ASGI entry point (`uvicorn stonks_oracle.frontend.app:app`).

The Stonks Oracle UI: the 17 pages and their detail views as HTML (pages.py), their ES modules
and styles under /static, and the same-origin gateway to the four services (gateway.py). It
needs no database; `/ready` answers 200 only when every configured upstream's /health does.
Environment: STONKS_API_KEY (sent upstream, never to the browser) and STONKS_QUERY_API_URL,
STONKS_SYMBOL_REGISTRY_URL, STONKS_RISK_ENGINE_URL, STONKS_TRADING_ENGINE_URL.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from stonks_oracle.common import Settings, create_app, get_settings

from . import pages
from .gateway import Gateway, load_upstreams
from .gateway import router as gateway_router

# ES modules must be served with a JavaScript type, whatever the host's mime.types says.
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/css", ".css")
mimetypes.add_type("image/svg+xml", ".svg")


STATIC_MAX_AGE_S = 600


class CachedStaticFiles(StaticFiles):
    """Static files a browser may reuse for a while: pages share their styles and modules."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE_S}"
        return response


def create_frontend(
    settings: Settings | None = None, upstreams: Mapping[str, str] | None = None
) -> FastAPI:
    """The frontend app; upstreams default to the STONKS_*_URL variables of the environment."""
    settings = settings or get_settings()
    settings.require("api_key")
    assert settings.api_key is not None
    gateway = Gateway(
        upstreams=dict(load_upstreams(os.environ) if upstreams is None else upstreams),
        api_key=settings.api_key,
    )
    application = create_app(
        "frontend",
        routers=[gateway_router, pages.router],
        needs_db=False,
        settings=settings,
        require_api_key=False,
        checks=gateway.checks(),
        resources=gateway.open,
    )
    application.state.gateway = gateway
    application.mount("/static", CachedStaticFiles(directory=pages.STATIC_DIR), name="static")
    return application


app = create_frontend()
