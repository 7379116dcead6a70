"""The node's address plan (scripts/node/versions.env), a DNS query, and who holds which socket."""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

VERSIONS = Path(__file__).resolve().parents[2] / "scripts" / "node" / "versions.env"

Network = ipaddress.IPv4Network


@dataclass(frozen=True)
class Plan:
    pod_cidr: Network
    node_subnet: Network
    node_ip: ipaddress.IPv4Address
    service_cidr: Network
    domain: str

    @property
    def inside(self) -> tuple[Network, ...]:
        """Where a cluster process may have a peer: loopback and the cluster's own ranges."""
        return (Network("127.0.0.0/8"), self.pod_cidr, self.service_cidr)


def plan(path: Path = VERSIONS) -> Plan:
    values = dict(re.findall(r"^([A-Z_]+)=(\S+)$", path.read_text(encoding="utf-8"), re.M))
    return Plan(
        pod_cidr=Network(values["POD_CIDR"]),
        node_subnet=Network(values["NODE_SUBNET"]),
        node_ip=ipaddress.IPv4Address(values["NODE_IP"]),
        service_cidr=Network(values["SERVICE_CIDR"]),
        domain=values["CLUSTER_DOMAIN"],
    )


def dns_query(server: str, name: str, timeout: float = 3.0) -> tuple[int, list[str]]:
    """One A query over UDP: (rcode, the A records' addresses)."""
    ident = secrets.randbits(16)
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    packet = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + struct.pack("!HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(packet, (server, 53))
        reply = sock.recv(4096)
    got_id, flags, _, answers, _, _ = struct.unpack("!HHHHHH", reply[:12])
    assert got_id == ident, "DNS reply to another query"
    offset = 12 + len(question) + 4
    addresses = []
    for _ in range(answers):
        offset = _skip_name(reply, offset)
        rtype, _, _, length = struct.unpack("!HHIH", reply[offset : offset + 10])
        offset += 10
        if rtype == 1 and length == 4:
            addresses.append(socket.inet_ntoa(reply[offset : offset + 4]))
        offset += length
    return flags & 0x000F, addresses


def _skip_name(data: bytes, offset: int) -> int:
    while True:
        length = data[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:  # compression pointer
            return offset + 2
        offset += length + 1


@dataclass(frozen=True)
class Socket:
    state: str
    local: str
    peer: str
    process: str
    pid: int


def sockets(pids: set[int]) -> list[Socket]:
    """TCP and UDP sockets (every state) of the given processes, from `ss -tuanp`."""
    out = subprocess.run(
        ["ss", "-H", "-tuanp"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    found = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 7:
            continue
        for process, pid in re.findall(r'\("([^"]+)",pid=(\d+)', fields[6]):
            if int(pid) in pids:
                found.append(Socket(fields[1], fields[4], fields[5], process, int(pid)))
    return found


def address_of(endpoint: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address of `ss`'s `addr:port` (None for a wildcard)."""
    host = endpoint.rsplit(":", 1)[0].strip("[]").split("%")[0]
    if host in ("*", "0.0.0.0", "::"):
        return None
    address = ipaddress.ip_address(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address
