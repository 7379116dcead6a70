"""The node's network is confined: cluster addresses exist only on this machine, pods have no way
out, CoreDNS answers for the cluster domain only, and no cluster process talks to the outside."""

from __future__ import annotations

import errno
import ipaddress
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client

from .conftest import CACHE, Node
from .netinfo import Plan, address_of, dns_query, plan, sockets
from .pods import Scratch

PLAN = plan()
PYTHON_HTTP = ["python3", "-m", "http.server", "8080", "--bind", "0.0.0.0"]


@pytest.fixture
def scratch(core: client.CoreV1Api) -> Iterator[Scratch]:
    namespace = Scratch(core)
    yield namespace
    namespace.close()


def service_image(node: Node) -> str:
    return f"localhost/stonks-oracle/query-api:{node.image_tag}"


def routes() -> list[dict[str, str]]:
    out = subprocess.run(["ip", "-j", "route", "show"], capture_output=True, text=True, check=True)
    routes: list[dict[str, str]] = json.loads(out.stdout)
    return routes


def test_both_ranges_have_an_unreachable_route(node: Node) -> None:
    table = routes()
    unreachable = {r["dst"] for r in table if r.get("type") == "unreachable"}
    assert {str(PLAN.pod_cidr), str(PLAN.service_cidr)} <= unreachable
    bridge = [r for r in table if r["dst"] == str(PLAN.node_subnet)]
    assert bridge and bridge[0]["dev"] == "stonks-br0", table


def test_a_pods_link_on_the_host_never_gets_an_ipv6_address(node: Node, scratch: Scratch) -> None:
    """An address appearing on the host after each pod start (IPv6 link-local, about 1.5 s in)
    fails the browser's requests in flight (net::ERR_NETWORK_CHANGED): the bridge and its veths
    are IPv4 only."""
    scratch.pod("idle", service_image(node), ["sleep", "300"])
    time.sleep(3)  # past duplicate address detection, after which a link-local address appears
    links = json.loads(subprocess.run(["ip", "-j", "addr", "show"], capture_output=True,
                                      text=True, check=True).stdout)  # fmt: skip
    ours = [x for x in links if "stonks-br0" in (x["ifname"], x.get("master"))]
    assert len(ours) >= 2, "neither the bridge nor the pod's veth is there"
    families = {x["ifname"]: {a["family"] for a in x.get("addr_info", [])} for x in ours}
    assert [name for name, found in families.items() if "inet6" in found] == [], families


@pytest.mark.parametrize("address", ["pod range", "service range"])
def test_host_cannot_send_to_a_cluster_address_off_the_bridge(node: Node, address: str) -> None:
    network = PLAN.pod_cidr if address == "pod range" else PLAN.service_cidr
    target = str(network[-2])  # neither on the bridge nor a Service
    with socket.socket() as sock, pytest.raises(OSError) as raised:
        sock.settimeout(3)
        sock.connect((target, 80))
    assert raised.value.errno == errno.EHOSTUNREACH, raised.value


def test_pod_has_no_default_route_and_only_the_cluster_resolver(
    node: Node, scratch: Scratch
) -> None:
    scratch.pod("probe", service_image(node), ["sleep", "300"])
    route_table = scratch.exec("probe", ["cat", "/proc/net/route"]).splitlines()[1:]
    destinations = {line.split()[1] for line in route_table if line.strip()}
    assert "00000000" not in destinations, route_table
    resolv = scratch.exec("probe", ["cat", "/etc/resolv.conf"])
    nameservers = [line.split()[1] for line in resolv.splitlines() if line.startswith("nameserver")]
    assert nameservers == [str(PLAN.node_ip)], resolv
    reach_out = scratch.exec(
        "probe",
        ["python3", "-c", "import socket; socket.create_connection(('192.0.2.1', 80), 3)"],
    )
    assert "Network is unreachable" in reach_out, reach_out


def test_service_by_name_through_coredns_and_kube_proxy(node: Node, scratch: Scratch) -> None:
    scratch.pod("web", service_image(node), PYTHON_HTTP, labels={"app": "web"})
    service = scratch.service("web", {"app": "web"}, 8080)
    assert service.spec is not None and service.spec.cluster_ip
    cluster_ip = ipaddress.ip_address(service.spec.cluster_ip)
    assert cluster_ip in PLAN.service_cidr
    scratch.pod("client", service_image(node), ["sleep", "300"])
    fetch = "import urllib.request as u; print(u.urlopen('http://web:8080/', timeout=5).status)"
    # kube-proxy writes a new Service's rules within its sync period; until then the address is
    # refused by the unreachable route.
    deadline = time.monotonic() + 30
    while (fetched := scratch.exec("client", ["python3", "-c", fetch])).strip() != "200":
        assert time.monotonic() < deadline, fetched
        time.sleep(1)


REFUSED_CONNECTS = """
import socket, time
slowest = 0.0
for _ in range(12):
    started = time.monotonic()
    try:
        socket.create_connection(("nobody-home", 80), timeout=3).close()
        print("connected"); break
    except OSError as exc:
        slowest = max(slowest, time.monotonic() - started)
        error = type(exc).__name__
print(error, round(slowest, 3))
"""


def test_a_service_without_endpoints_refuses_every_connect_at_once(
    node: Node, scratch: Scratch
) -> None:
    """A stopped component's Service answers each SYN with an unreachable at once: none is
    dropped by the host's ICMP rate limit (which would leave a connect hanging for seconds)."""
    scratch.service("nobody-home", {"app": "nobody"}, 80)
    scratch.pod("client", service_image(node), ["sleep", "300"])
    error, slowest = scratch.exec("client", ["python3", "-c", REFUSED_CONNECTS]).split()
    assert error in {"ConnectionRefusedError", "OSError"}, error
    assert float(slowest) < 0.5, f"a connect took {slowest} s to be refused"


def test_coredns_serves_the_cluster_domain_and_nothing_else(node: Node) -> None:
    rcode, addresses = dns_query(str(PLAN.node_ip), f"kubernetes.default.svc.{PLAN.domain}")
    assert rcode == 0 and addresses == [str(PLAN.service_cidr[1])], (rcode, addresses)
    refused, none = dns_query(str(PLAN.node_ip), "deb.debian.org")
    assert (refused, none) == (5, []), "CoreDNS must refuse names outside the cluster domain"


def cluster_pids() -> set[int]:
    """The node's processes and the control plane's, from their pid files."""
    pids = set()
    for pidfile in [*(CACHE / "run").glob("*.pid"), *control_plane_pidfiles()]:
        text = pidfile.read_text(encoding="utf-8").strip()
        if text.isdigit() and Path(f"/proc/{text}").exists():
            pids.add(int(text))
    return pids


def control_plane_pidfiles() -> list[Path]:
    kwok = CACHE.parent / "kwok" / "run" / "stonks-node" / "kwok-home" / "clusters" / "stonks-node"
    return list((kwok / "pids").glob("*.pid"))


def test_no_cluster_process_holds_a_connection_outside(node: Node, plan_: Plan = PLAN) -> None:
    pids = cluster_pids()
    names = {"containerd", "kubelet", "kube-proxy", "coredns", "metrics-server", "etcd", "python3",
             "kube-apiserver", "kube-controller-manager", "kube-scheduler"}  # fmt: skip
    found = sockets(pids)
    assert {s.process for s in found} >= {"kubelet", "kube-apiserver", "etcd"}, found
    assert {s.process for s in found} <= {name[:15] for name in names}, found  # comm is 15 chars
    outside = []
    for sock in found:
        for endpoint in (sock.local, sock.peer):
            address = address_of(endpoint)
            if address is None:
                if endpoint is sock.local and sock.state in ("LISTEN", "UNCONN"):
                    outside.append(sock)  # a wildcard listener would face every interface
                continue
            if not any(address in network for network in plan_.inside if address.version == 4):
                outside.append(sock)
    assert not outside, outside


API_FROM_A_POD = """
import json, ssl, urllib.error, urllib.request
sa = "/var/run/secrets/kubernetes.io/serviceaccount/"
ns = open(sa + "namespace").read()
request = urllib.request.Request(
    f"https://kubernetes.default.svc/api/v1/namespaces/{ns}/pods",
    headers={"Authorization": "Bearer " + open(sa + "token").read()},
)
try:
    print(urllib.request.urlopen(request, context=ssl.create_default_context(cafile=sa + "ca.crt"),
                                 timeout=10).status)
except urllib.error.HTTPError as error:
    print(error.code, json.load(error)["reason"])
"""


def test_pods_reach_the_api_server_through_the_kubernetes_service(
    node: Node, scratch: Scratch
) -> None:
    scratch.pod("api", service_image(node), ["sleep", "300"])
    answer = scratch.exec("api", ["python3", "-c", API_FROM_A_POD])
    # TLS verified against the cluster CA, the token authenticated, and the namespace's default
    # ServiceAccount (no Role) refused: the request reached the real API server.
    assert answer.strip() == "403 Forbidden", answer
