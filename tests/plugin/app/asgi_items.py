"""The tiny items service as a bare ASGI app, for services declared with `app =` (forked from
the plugin's preloading launcher and served by uvicorn).

Env: STONKS_DATABASE_URL, STONKS_REDIS_URL, STONKS_API_KEY. /health 200; /ready 200 when
PostgreSQL and Redis accept TCP, else 503; /whoami the serving process (pid, parent, session);
/api/items needs X-API-Key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

import service  # the stdlib service beside this file: its items and its readiness check

ITEMS = [{"id": item_id, "name": name} for item_id, name in service.ITEMS.items()]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

print(f"asgi items: imported in pid {os.getpid()}", flush=True)


def _answer(path: str, headers: dict[str, str]) -> tuple[int, object]:
    if path == "/health":
        return 200, {"status": "ok"}
    if path == "/ready":
        deps = [os.environ.get("STONKS_DATABASE_URL", ""), os.environ.get("STONKS_REDIS_URL", "")]
        ok = all(service.reachable(url) for url in deps)
        return (200 if ok else 503), {"ready": ok}
    if path == "/whoami":
        return 200, {"pid": os.getpid(), "ppid": os.getppid(), "sid": os.getsid(0)}
    if path == "/openapi.json":
        return 200, {"openapi": "3.1.0", "info": {"title": "items", "version": "1"},
                     "paths": {"/api/items": {"get": {}}}}  # fmt: skip
    if headers.get("x-api-key") != os.environ.get("STONKS_API_KEY"):
        return 401, {"detail": "missing or wrong API key"}
    if path == "/api/items":
        return 200, ITEMS
    return 404, {"detail": "not found"}


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    status, body = _answer(scope["path"], headers)
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": data})
