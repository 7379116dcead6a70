"""trading-engine: ASGI entry point (`uvicorn stonks_oracle.trading_engine.app:app`)."""

from stonks_oracle.common import create_app

from .routers import ROUTERS

app = create_app("trading-engine", routers=ROUTERS, needs_redis=True)
