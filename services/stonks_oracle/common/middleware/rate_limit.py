"""Fixed-window rate limiting per (API key, client address): 429 + Retry-After."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import error_response
from ..settings import RateLimit
from .auth import is_public

_PRUNE_ABOVE = 10_000  # distinct clients kept before expired windows are dropped


class RateLimitMiddleware:
    """Allow ``limit.requests`` per ``limit.seconds`` window to each client, in memory."""

    def __init__(
        self, app: ASGIApp, *, limit: RateLimit, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app = app
        self.limit = limit
        self.clock = clock
        self.windows: dict[tuple[bytes, str], tuple[float, int]] = {}

    def _retry_after(self, key: tuple[bytes, str]) -> int:
        """0 when the request may pass, else seconds until the client's window resets."""
        now = self.clock()
        start, count = self.windows.get(key, (now, 0))
        if now - start >= self.limit.seconds:
            start, count = now, 0
        if count >= self.limit.requests:
            return max(1, math.ceil(start + self.limit.seconds - now))
        if len(self.windows) > _PRUNE_ABOVE:
            self.windows = {
                k: w for k, w in self.windows.items() if now - w[0] < self.limit.seconds
            }
        self.windows[key] = (start, count + 1)
        return 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_public(scope):
            api_key = next((v for k, v in scope["headers"] if k == b"x-api-key"), b"")
            client = scope.get("client")
            retry_after = self._retry_after((api_key, client[0] if client else ""))
            if retry_after:
                response = error_response(
                    429, "rate limit exceeded", {"Retry-After": str(retry_after)}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
