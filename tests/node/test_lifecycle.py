"""`down` removes everything `up` made, and a warm `up` is quick (images already in containerd)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from .conftest import CACHE, Node
from .netinfo import plan
from .test_network import cluster_pids

PLAN = plan()
WARM_UP_BUDGET_S = 60.0


def leftovers() -> list[str]:
    """Everything of the node that should not exist once it is down."""
    found = []
    routes = json.loads(subprocess.run(["ip", "-j", "route", "show"], capture_output=True,
                                       text=True, check=True).stdout)  # fmt: skip
    found += [f"route {r['dst']}" for r in routes if r["dst"] in (str(PLAN.pod_cidr),
              str(PLAN.service_cidr), str(PLAN.node_subnet))]  # fmt: skip
    if subprocess.run(["ip", "link", "show", "stonks-br0"], capture_output=True).returncode == 0:
        found.append("bridge stonks-br0")
    for table in ("filter", "nat", "mangle"):
        rules = subprocess.run(["iptables", "-t", table, "-S"], capture_output=True, text=True,
                               check=True).stdout.splitlines()  # fmt: skip
        found += [f"{table}: {r}" for r in rules if "KUBE-" in r or "STONKS-NODE" in r]
    mounts = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    found += [m for m in mounts if str(CACHE) in m or "/run/stonks-node" in m]
    found += [f"cgroup {p}" for p in Path("/sys/fs/cgroup/memory").glob("stonks-node")]
    found += [f"pid {pid}" for pid in cluster_pids()]
    return found


def sysctl(key: str) -> str:
    return Path("/proc/sys", *key.split(".")).read_text(encoding="utf-8").split()[0]


def test_down_leaves_nothing_and_a_warm_up_is_quick(node: Node) -> None:
    saved = CACHE / "run" / "sysctl-host"  # the host's values of what the node changed
    host = dict(line.split("=", 1) for line in saved.read_text(encoding="utf-8").splitlines())
    assert {"net.ipv4.icmp_ratemask", "net.ipv4.route.error_cost"} <= set(host)
    try:
        assert node.script("down") == 0
        left = leftovers()
        left += [f"sysctl {k}={sysctl(k)} (host: {v})" for k, v in host.items() if sysctl(k) != v]
        left += [f"file {saved}"] if saved.exists() else []
    finally:
        started = time.monotonic()
        assert node.script("up") == 0  # the other tests need the node
        took = time.monotonic() - started
    assert left == []
    node.timings["warm up (after down)"] = took
    assert took < WARM_UP_BUDGET_S
    assert leftovers() != [], "up made nothing the check would notice"
