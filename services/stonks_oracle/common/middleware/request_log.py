"""traceparent in, one JSON log line per request out, and the traceparent echoed back.

Outermost middleware. A valid W3C `traceparent` header (`00-<trace id>-<span id>-<flags>`)
names the request: its ids are set for every log line written while it is served, and the header
is echoed on the response. The request's own line (method, route template, path, status,
duration) is written just before the last body chunk is sent, so a client that has read the
whole response can already find it in the log.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import logs
from ..logs import current_trace, now
from .correlation import current_correlation_id

HEADER = "traceparent"
_TRACEPARENT = re.compile(rb"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


def parse_traceparent(value: bytes) -> tuple[str, str] | None:
    """(trace id, span id) of a valid traceparent, else None."""
    match = _TRACEPARENT.match(value.strip().lower())
    return (match.group(1).decode(), match.group(2).decode()) if match else None


class RequestLogMiddleware:
    """Sets the request's trace for logging, echoes traceparent, logs one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = next((v for k, v in scope["headers"] if k == b"traceparent"), b"")
        trace = parse_traceparent(sent) if sent else None
        token = current_trace.set(trace)
        started = now()
        status = 0
        logged = False

        def log_request() -> None:
            nonlocal logged
            logged = True
            path = scope["path"]
            route = getattr(scope.get("route"), "path", None) or path
            duration_ms = (now() - started) * 1000
            logs.request_line.write(
                trace, scope["method"], route, path, status, duration_ms, current_correlation_id()
            )

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if trace is not None:
                    message["headers"] = [*message.get("headers", ()), (b"traceparent", sent)]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                log_request()
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            if not logged:
                log_request()
            current_trace.reset(token)
