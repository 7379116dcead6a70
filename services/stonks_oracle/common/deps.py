"""FastAPI dependencies that hand a route the service's shared resources.

@router.get("/api/things")
async def list_things(db: DB, page: Page) -> list[dict[str, Any]]: ...
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from redis.asyncio import Redis

from .db import Database
from .storage import ObjectStore


def _resource(request: Request, name: str, flag: str) -> Any:
    resource = getattr(request.app.state, name, None)
    if resource is None:
        raise RuntimeError(f"this service was created without {flag}=True")
    return resource


def get_db(request: Request) -> Database:
    """The service's Database (requires create_app(needs_db=True))."""
    db: Database = _resource(request, "db", "needs_db")
    return db


def get_redis(request: Request) -> Redis:
    """The service's Redis client (requires create_app(needs_redis=True))."""
    client: Redis = _resource(request, "redis", "needs_redis")
    return client


def get_store(request: Request) -> ObjectStore:
    """The service's ObjectStore (requires create_app(needs_s3=True))."""
    store: ObjectStore = _resource(request, "store", "needs_s3")
    return store


DB = Annotated[Database, Depends(get_db)]
RedisClient = Annotated[Redis, Depends(get_redis)]
Store = Annotated[ObjectStore, Depends(get_store)]
