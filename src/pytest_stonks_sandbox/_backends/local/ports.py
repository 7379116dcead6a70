"""Loopback ports: pick free ones, and refuse a fixed one that is taken.

Free ports are chosen below the kernel's ephemeral range, which the kernel never hands out by
itself: between our check and the server's bind, no outgoing connection or port-0 listener of
another program can take the port (on a busy machine one did, now and then).
"""

from __future__ import annotations

import errno
import random
import socket
from pathlib import Path

from pytest_stonks_sandbox._core.errors import ProvisionError

LOOPBACK = "127.0.0.1"


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_PORT = 15000
ATTEMPTS_PER_PORT = 20


def quiet_ports() -> range:
    """Ports below the ephemeral range (empty when it is unknown or starts too low)."""
    try:
        low = int(EPHEMERAL_RANGE.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return range(0)
    return range(LOWEST_PORT, low) if low > LOWEST_PORT + 1000 else range(0)


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free on 127.0.0.1 right now (all held open until all are chosen)."""
    candidates = quiet_ports()
    sockets: list[socket.socket] = []
    try:
        for _ in range(count * ATTEMPTS_PER_PORT if candidates else 0):
            if len(sockets) == count:
                break
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind((LOOPBACK, random.choice(candidates)))
            except OSError:
                sock.close()
                continue
            sockets.append(sock)
        while len(sockets) < count:  # no quiet range here: the kernel's choice
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


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
