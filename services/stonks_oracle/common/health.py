"""/health (liveness) and /ready (each declared dependency), both without auth."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

Check = Callable[[], Awaitable[None]]
CHECK_TIMEOUT = 3.0

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> dict[str, str]:
    """The process is up and serving HTTP."""
    return {"status": "ok", "service": request.app.title}


async def _run(check: Check) -> str:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT)
    except Exception:
        return "unavailable"
    return "ok"


@router.get("/ready", responses={503: {"description": "a dependency is unavailable"}})
async def ready(request: Request) -> JSONResponse:
    """200 when every dependency answers; 503 naming the ones that do not."""
    checks: dict[str, Check] = request.app.state.readiness_checks
    results = dict(zip(checks, await asyncio.gather(*map(_run, checks.values())), strict=True))
    failed = [name for name, result in results.items() if result != "ok"]
    body: dict[str, Any] = {"service": request.app.title, "checks": results}
    if failed:
        return JSONResponse({"detail": f"{', '.join(failed)} unavailable", **body}, 503)
    return JSONResponse({"status": "ready", **body})
