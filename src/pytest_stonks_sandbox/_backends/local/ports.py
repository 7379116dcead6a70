"""Loopback ports: refuse a fixed one that is taken (free ones come from freeports)."""

from __future__ import annotations

import errno
import socket

from pytest_stonks_sandbox._backends.local.freeports import LOOPBACK
from pytest_stonks_sandbox._core.errors import ProvisionError


def ensure_port_free(component: str, port: int) -> None:
    """Raise ProvisionError naming the component when `port` is already bound on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise ProvisionError(
                component,
                f"port {port} on {LOOPBACK} is already in use by another process.",
                f"stop that process, or change [tool.stonks-sandbox.ports] {component} "
                "(leave it out to get a free port).",
            ) from exc
