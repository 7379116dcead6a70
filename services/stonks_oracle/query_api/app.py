"""query-api: ASGI entry point (`uvicorn stonks_oracle.query_api.app:app`)."""

from stonks_oracle.common import create_app

from .routers import ROUTERS

app = create_app("query-api", routers=ROUTERS, needs_s3=True)
