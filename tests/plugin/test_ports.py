"""Free loopback ports come from below the kernel's ephemeral range, so nothing else takes them."""

from __future__ import annotations

import socket
import subprocess
import sys

from pytest_stonks_sandbox._backends.local import freeports
from pytest_stonks_sandbox._backends.local.freeports import LOOPBACK, free_ports, quiet_ports


def test_free_ports_are_distinct_bindable_and_outside_the_ephemeral_range() -> None:
    quiet = quiet_ports()
    assert len(quiet) > 1000  # Linux's default range starts at 32768
    ports = free_ports(12)
    assert len(set(ports)) == 12
    assert all(port in quiet for port in ports)
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((LOOPBACK, port))


def test_a_port_in_use_is_never_chosen() -> None:
    held = []
    try:
        for port in free_ports(50):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, port))
            sock.listen(1)
            held.append(sock)
        taken = {sock.getsockname()[1] for sock in held}
        assert not taken & set(free_ports(50))
    finally:
        for sock in held:
            sock.close()


def test_the_cluster_scripts_run_the_module_as_a_file_outside_any_environment() -> None:
    """scripts/kwok-cluster.sh and real-node.sh run it with a bare python3 (-I: no packages)."""
    command = [sys.executable, "-I", freeports.__file__]
    printed = subprocess.run([*command, "7"], capture_output=True, text=True, check=True).stdout
    ports = [int(word) for word in printed.split()]
    assert len(set(ports)) == 7
    assert all(port in quiet_ports() for port in ports)
    refused = subprocess.run([*command, "none"], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "usage: python3 freeports.py N" in refused.stderr
