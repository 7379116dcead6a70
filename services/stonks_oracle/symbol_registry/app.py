"""symbol-registry: ASGI entry point (`uvicorn stonks_oracle.symbol_registry.app:app`)."""

from stonks_oracle.common import create_app

from .routers import ROUTERS

app = create_app("symbol-registry", routers=ROUTERS)
