"""Fixtures for the real node: ``scripts/real-node.sh build`` and ``up`` once per session, ``down``
at the end even when tests fail. One node per machine (fixed bridge and address ranges), so the
session holds a lock on the node's cache directory while the node is up.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from kubernetes import client, config

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "real-node.sh"
CACHE = Path(
    os.environ.get("STONKS_NODE_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stonks-sandbox" / "node"
)

TIMINGS_KEY = pytest.StashKey[dict[str, float]]()


@dataclass
class Node:
    """The node that is up: its kubeconfig, the tag of its images, an API client."""

    kubeconfig: Path
    image_tag: str
    api: client.ApiClient
    request: pytest.FixtureRequest
    timings: dict[str, float] = field(default_factory=dict)

    def script(self, verb: str, timeout: float = 600) -> int:
        """Run a verb of the script; after `up`, the API client is bound to the new cluster."""
        returncode = run_script(self.request, verb, timeout)
        if verb == "up" and returncode == 0:
            self.api.close()
            self.api = config.new_client_from_config(config_file=str(self.kubeconfig))
        return returncode


def run_script(request: pytest.FixtureRequest, verb: str, timeout: float) -> int:
    """Run the node script with its output on the terminal, in its own process group."""
    capman = request.config.pluginmanager.getplugin("capturemanager")
    started = time.monotonic()
    print(f"\n[tests/node] {SCRIPT.relative_to(REPO)} {verb}", file=sys.stderr, flush=True)
    with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
        proc = subprocess.Popen([str(SCRIPT), verb], start_new_session=True)
        try:
            returncode = proc.wait(timeout=timeout)
        except BaseException:
            _stop_group(proc)
            raise
    print(
        f"[tests/node] {verb}: exit {returncode} after {time.monotonic() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    return returncode


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    for sig, grace in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def node_env() -> dict[str, str]:
    """The variables `real-node.sh env` exports (KUBECONFIG, STONKS_SANDBOX_IMAGE_TAG)."""
    out = subprocess.run(
        [str(SCRIPT), "env"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    found: dict[str, str] = {}
    for line in out.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, value = words[1].split("=", 1)
            found[key] = value
    return found


@pytest.fixture(scope="session")
def node(request: pytest.FixtureRequest) -> Iterator[Node]:
    """Bring the real node up for the session and always take it down again."""
    if os.geteuid() != 0:
        pytest.fail("the real node needs root (bridge, routes, mounts, cgroups)", pytrace=False)
    CACHE.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    request.config.stash[TIMINGS_KEY] = timings
    with open(CACHE / "node.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        down = 0
        try:
            started = time.monotonic()
            build_timeout = float(os.environ.get("STONKS_NODE_BUILD_TIMEOUT", "3600"))
            if run_script(request, "build", build_timeout):
                pytest.fail("building the real node failed; see the output above", pytrace=False)
            timings["build (cached: checks only)"] = time.monotonic() - started
            started = time.monotonic()
            if run_script(request, "up", 600):
                pytest.fail("'real-node.sh up' failed; see the output above", pytrace=False)
            timings["node up"] = time.monotonic() - started
            env = node_env()
            kubeconfig = Path(env["KUBECONFIG"])
            api = config.new_client_from_config(config_file=str(kubeconfig))
            yield Node(kubeconfig, env["STONKS_SANDBOX_IMAGE_TAG"], api, request, timings)
            api.close()
        finally:
            started = time.monotonic()
            down = run_script(request, "down", 300)
            timings["node down"] = time.monotonic() - started
    if down != 0:
        pytest.fail(f"'{SCRIPT.name} down' failed (exit {down}); see the output above")


@pytest.fixture
def core(node: Node) -> client.CoreV1Api:
    return client.CoreV1Api(node.api)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    timings = terminalreporter.config.stash.get(TIMINGS_KEY, None)
    if timings:
        terminalreporter.section("real node timings")
        for label, seconds in timings.items():
            terminalreporter.write_line(f"{label:<40} {seconds:7.2f} s")
