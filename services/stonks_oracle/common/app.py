"""create_app: one FastAPI application with the conventions every service shares.

Middleware, outermost first: request log (traceparent, one JSON line per request) ->
X-Correlation-ID -> CORS -> API key -> rate limit -> catch-all
-> FastAPI (exception handlers -> routes). Resources (db, redis, store) are created here,
connect lazily, and are closed by the lifespan; routes reach them through common.deps.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial

from fastapi import APIRouter, FastAPI, Security
from fastapi.security import APIKeyHeader

from .cache import connect_redis, ping_redis
from .db import Database
from .errors import install_exception_handlers
from .health import Check
from .health import router as health_router
from .logs import configure_logging
from .middleware.auth import ApiKeyMiddleware
from .middleware.catch_all import CatchAllMiddleware
from .middleware.correlation import CorrelationIdMiddleware
from .middleware.cors import JsonCORSMiddleware
from .middleware.rate_limit import RateLimitMiddleware
from .middleware.request_log import RequestLogMiddleware
from .settings import Settings, get_settings
from .storage import ObjectStore

log = logging.getLogger("stonks_oracle.app")

# Documents X-API-Key in OpenAPI; enforcement is ApiKeyMiddleware's job.
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


def create_app(
    name: str,
    *,
    routers: Iterable[APIRouter] = (),
    needs_db: bool = True,
    needs_redis: bool = False,
    needs_s3: bool = False,
    settings: Settings | None = None,
    require_api_key: bool = True,
    checks: Mapping[str, Check] | None = None,
    resources: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """Build service ``name``; raises SettingsError naming any missing variable it needs.

    ``require_api_key=False`` serves the routes without the X-API-Key check (a browser-facing
    service such as the frontend, which still needs the key for its own upstream calls);
    ``checks`` are extra readiness checks; ``resources(app)`` is entered by the lifespan, after
    the shared resources are started and before they are closed.
    """
    configure_logging(name)
    settings = settings or get_settings()
    settings.require("api_key")
    assert settings.api_key is not None
    readiness: dict[str, Check] = dict(checks or {})
    db = redis = store = None
    if needs_db:
        settings.require("database_url")
        assert settings.database_url is not None
        db = Database(settings.database_url)
        readiness["database"] = db.ping
    if needs_redis:
        settings.require("redis_url")
        assert settings.redis_url is not None
        redis = connect_redis(settings.redis_url)
        readiness["redis"] = partial(ping_redis, redis)
    if needs_s3:
        store = ObjectStore(settings)
        readiness["object_store"] = store.ping

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        if db is not None:
            await db.start()
        try:
            if resources is None:
                log.info("%s started", name)
                yield
            else:
                async with resources(application):
                    log.info("%s started", name)
                    yield
        finally:
            if db is not None:
                await db.close()
            if redis is not None:
                await redis.aclose()
            if store is not None:
                store.close()

    app = FastAPI(title=name, version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.readiness_checks = readiness
    app.state.db, app.state.redis, app.state.store = db, redis, store
    install_exception_handlers(app)
    app.include_router(health_router)
    for router in routers:
        if require_api_key:
            app.include_router(router, dependencies=[Security(api_key_scheme)])
        else:
            app.include_router(router)

    app.add_middleware(CatchAllMiddleware)
    if settings.rate_limit is not None:
        app.add_middleware(RateLimitMiddleware, limit=settings.rate_limit)
    if require_api_key:
        app.add_middleware(ApiKeyMiddleware, api_key=settings.api_key)
    if settings.cors_origins:
        app.add_middleware(
            JsonCORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Correlation-ID", "Retry-After", "traceparent"],
            max_age=600,
        )
    app.add_middleware(CorrelationIdMiddleware)
    app.add_middleware(RequestLogMiddleware)
    return app
