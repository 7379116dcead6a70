"""risk-engine: ASGI entry point (`uvicorn stonks_oracle.risk_engine.app:app`)."""

from stonks_oracle.common import create_app

from .routers import ROUTERS

# Redis carries the risk events (stonks.risk.*), so /ready checks it too.
app = create_app("risk-engine", routers=ROUTERS, needs_redis=True)
