"""Fault injection across xdist workers.

The controller owns the sandbox's processes, so workers ask it to stop/start/restart a component
through a small HTTP endpoint on loopback (token-protected). A fault disturbs every test that is
running against the sandbox, so tests hold a shared file lock while they run and a test that injects
faults holds it exclusively: it waits for the other worker's current test and blocks the next one.
"""

from __future__ import annotations

import fcntl
import http.client
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from pytest_stonks_sandbox._core.errors import ProvisionError, SandboxError

FaultAction = Callable[[str, str], None]
TOKEN_HEADER = "X-Sandbox-Token"
FAULT_TIMEOUT_S = 120.0


class FaultServer:
    """Serves POST /fault {"action", "component"} by calling `act(action, component)`."""

    def __init__(self, act: FaultAction) -> None:
        self.token = secrets.token_hex(16)
        handler = _handler(act, self.token)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="stonks-fault-control", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler(act: FaultAction, token: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/fault" or self.headers.get(TOKEN_HEADER) != token:
                self._reply(404, {"detail": "not found"})
                return
            try:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                act(str(body["action"]), str(body["component"]))
            except (KeyError, ValueError) as exc:
                self._reply(400, {"detail": str(exc)})
            except SandboxError as exc:
                self._reply(500, {"detail": exc.explain()})
            else:
                self._reply(200, {"detail": "done"})

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the session reports what matters."""

    return Handler


def request_fault(url: str, token: str, action: str, component: str) -> None:
    """Ask the controller to act on a component; its error comes back as the same error kind."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=FAULT_TIMEOUT_S
    )
    try:
        body = json.dumps({"action": action, "component": component})
        conn.request("POST", "/fault", body, {TOKEN_HEADER: token})
        response = conn.getresponse()
        detail = json.loads(response.read() or b"{}").get("detail", "")
    finally:
        conn.close()
    if response.status == 400:
        raise ValueError(detail)
    if response.status != 200:
        raise ProvisionError(component, f"the controller could not {action} it: {detail}")


@contextmanager
def sandbox_lock(path: Path, exclusive: bool) -> Iterator[None]:
    """Hold the run's test lock: shared for ordinary tests, exclusive for fault injection."""
    handle: IO[str]
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
