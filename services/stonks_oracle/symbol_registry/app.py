"""symbol-registry: ASGI entry point (`uvicorn stonks_oracle.symbol_registry.app:app`)."""

from stonks_oracle.common import create_app

from .routers import ROUTERS

# Redis carries the registry's events (stonks.registry.*), so /ready checks it too.
app = create_app("symbol-registry", routers=ROUTERS, needs_redis=True)
