"""API key check on header X-API-Key, except for public paths and CORS preflight."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import error_response

PUBLIC_PATHS = frozenset(
    {"/health", "/ready", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)


def is_preflight(scope: Scope) -> bool:
    """An OPTIONS request carrying Access-Control-Request-Method."""
    return scope["method"] == "OPTIONS" and any(
        k == b"access-control-request-method" for k, _ in scope["headers"]
    )


def is_public(scope: Scope) -> bool:
    """Requests that need neither an API key nor a rate-limit slot."""
    return scope["path"] in PUBLIC_PATHS or is_preflight(scope)


class ApiKeyMiddleware:
    """401 JSON unless X-API-Key equals the configured key."""

    def __init__(self, app: ASGIApp, *, api_key: str) -> None:
        self.app = app
        self.api_key = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_public(scope):
            sent = next((v for k, v in scope["headers"] if k == b"x-api-key"), None)
            if sent is None or not hmac.compare_digest(sent, self.api_key):
                detail = "missing API key" if sent is None else "invalid API key"
                response = error_response(401, detail, {"WWW-Authenticate": "ApiKey"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
