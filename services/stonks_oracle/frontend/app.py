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
from starlette.staticfiles import StaticFiles

from stonks_oracle.common import Settings, create_app, get_settings

from . import pages
from .gateway import Gateway, load_upstreams
from .gateway import router as gateway_router

# ES modules must be served with a JavaScript type, whatever the host's mime.types says.
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/css", ".css")
mimetypes.add_type("image/svg+xml", ".svg")


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
    application.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    return application


app = create_frontend()
