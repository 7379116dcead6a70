"""Free loopback ports, chosen below the kernel's ephemeral range.

The kernel never hands out a port of that range by itself: between our check and the server's
bind, no outgoing connection or port-0 listener of another program can take the port (on a busy
machine one did, now and then). Standard library only, so that the cluster scripts run this file
as it is: ``python3 .../freeports.py N`` prints N ports.
"""

from __future__ import annotations

import random
import socket
import sys
from pathlib import Path

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


def main(argv: list[str]) -> int:
    """``freeports.py N``: print N distinct free ports on one line."""
    if len(argv) != 2 or not argv[1].isdigit() or int(argv[1]) < 1:
        print("usage: python3 freeports.py N  (N >= 1 ports)", file=sys.stderr)
        return 2
    print(" ".join(str(port) for port in free_ports(int(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
