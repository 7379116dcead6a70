"""risk-engine: ASGI entry point (`uvicorn stonks_oracle.risk_engine.app:app`)."""

from stonks_oracle.common import create_app

from .routers import ROUTERS

app = create_app("risk-engine", routers=ROUTERS)
