"""A tiny stdlib HTTP service for the plugin's own inner runs (stands in for a Stonks service).

Env: PORT, STONKS_DATABASE_URL, STONKS_REDIS_URL, STONKS_API_KEY (all set by the sandbox).
/health 200; /ready 200 when PostgreSQL and Redis accept TCP, else 503; /openapi.json;
/api/items and /api/items/{item_id} need X-API-Key (401 without it).
Every request is logged to stdout as one JSON line (with the trace id of its `traceparent`
header, which is echoed back) before its body is sent; `/api/items/{id}` also logs a lookup line.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import item_pages

ITEMS = {
    "00000000-0000-4000-c100-000000000001": "alpha",
    "00000000-0000-4000-c100-000000000002": "beta",
    "00000000-0000-4000-c100-000000000003": "gamma",
}
OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "items", "version": "1"},
    "paths": {"/api/items": {"get": {}}, "/api/items/{item_id}": {"get": {}}},
}


def reachable(url: str) -> bool:
    """The URL's host and port accept a TCP connection (within 0.5 s)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 0.5):
            return True
    except OSError:
        return False


TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


def log_line(**fields: object) -> None:
    print(json.dumps({"ts": round(time.time(), 6), "service": "items", **fields}), flush=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _trace(self) -> dict[str, str]:
        match = TRACEPARENT.match(self.headers.get("traceparent", ""))
        return {"trace_id": match.group(1), "span_id": match.group(2)} if match else {}

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, body: object) -> None:
        self._send_raw((status, "application/json", json.dumps(body).encode()))

    def _send_raw(self, answer: tuple[int, str, bytes]) -> None:
        status, content_type, data = answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if "traceparent" in self.headers:
            self.send_header("traceparent", self.headers["traceparent"])
        self.end_headers()
        path = urlsplit(self.path).path
        log_line(msg="request", method=self.command, path=path, status=status, **self._trace())
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/pages/") and (answer := item_pages.page(path.removeprefix("/pages/"))):
            return self._send_raw(answer)
        if path.startswith("/gateway/items/"):
            return self._send_raw(item_pages.gateway(path.removeprefix("/gateway/items")))
        if path == "/health":
            return self._send(200, {"status": "ok"})
        if path == "/ready":
            deps = [
                os.environ.get("STONKS_DATABASE_URL", ""),
                os.environ.get("STONKS_REDIS_URL", ""),
            ]
            ok = all(reachable(url) for url in deps)
            return self._send(200 if ok else 503, {"ready": ok})
        if path == "/openapi.json":
            return self._send(200, OPENAPI)
        if not path.startswith("/api/"):
            return self._send(404, {"detail": "not found"})
        if self.headers.get("X-API-Key") != os.environ.get("STONKS_API_KEY"):
            return self._send(401, {"detail": "missing or wrong API key"})
        if path == "/api/items":
            return self._send(200, [{"id": k, "name": v} for k, v in ITEMS.items()])
        item_id = path.removeprefix("/api/items/")
        log_line(msg=f"looking up item {item_id}", **self._trace())
        if item_id in ITEMS:
            return self._send(200, {"id": item_id, "name": ITEMS[item_id]})
        return self._send(404, {"detail": "no such item"})


def main() -> None:
    if "--exit-at-start" in sys.argv:
        print("items service: refusing to start (--exit-at-start)", flush=True)
        sys.exit(3)
    # What a careless service does: its settings, credentials included, in its log. A failure
    # bundle must not carry them (the plugin redacts the run's secrets).
    log_line(msg="starting", database=os.environ.get("STONKS_DATABASE_URL", ""),
             api_key=os.environ.get("STONKS_API_KEY", ""))  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
