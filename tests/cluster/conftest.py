"""Fixtures for the Kubernetes API proof: a real kube-apiserver run by kwok on this machine.

The session fixture runs ``scripts/kwok-cluster.sh up`` (which builds the binaries from the Go
module proxy first if they are not cached) and ``down`` at the end, even when tests fail.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# The official client (pip install 'kubernetes>=31'); a missing one is a collection error here.
from kubernetes import client, config

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "kwok-cluster.sh"

TIMINGS_KEY = pytest.StashKey[dict[str, float]]()


@dataclass
class Cluster:
    """A running kwok cluster: its kubeconfig and an API client bound to it."""

    name: str
    kubeconfig: Path
    api: client.ApiClient
    timings: dict[str, float] = field(default_factory=dict)


def _worker_suffix() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"-{worker}" if worker else ""


def _run_script(
    request: pytest.FixtureRequest, verb: str, env: dict[str, str], timeout: float
) -> int:
    """Run the cluster script with its output going straight to the terminal (progress).

    The script runs in its own process group, so a timeout or Ctrl-C stops it together with the
    ``go build`` processes it started (the cluster's components are in their own sessions and
    are stopped by ``down``).
    """
    capman = request.config.pluginmanager.getplugin("capturemanager")
    started = time.monotonic()
    print(f"\n[tests/cluster] {SCRIPT.relative_to(REPO)} {verb}", file=sys.stderr, flush=True)
    with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
        proc = subprocess.Popen([str(SCRIPT), verb], env=env, start_new_session=True)
        try:
            returncode = proc.wait(timeout=timeout)
        except BaseException:
            _stop_group(proc)
            raise
    print(
        f"[tests/cluster] {verb}: exit {returncode} after {time.monotonic() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    return returncode


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def kwok_cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Bring the kwok cluster up for the session and always take it down again."""
    if not SCRIPT.is_file():
        pytest.fail(f"{SCRIPT} is missing")
    name = f"stonks-pytest{_worker_suffix()}"
    kubeconfig = tmp_path_factory.mktemp("kwok") / "kubeconfig"
    env = {**os.environ, "STONKS_KWOK_CLUSTER": name, "STONKS_KWOK_KUBECONFIG": str(kubeconfig)}
    # A cold machine builds everything first (tens of minutes on 2 cores); a warm one starts
    # the cluster in well under a minute.
    build_timeout = float(os.environ.get("STONKS_KWOK_BUILD_TIMEOUT", "3600"))
    timings: dict[str, float] = {}
    request.config.stash[TIMINGS_KEY] = timings
    try:
        build = _run_script(request, "build", env, build_timeout)
        if build != 0:
            pytest.fail(
                f"building the kwok cluster binaries failed (exit {build}); "
                "see the output above and the build.log it names",
                pytrace=False,
            )
        started = time.monotonic()
        up = _run_script(request, "up", env, 600)
        if up != 0:
            pytest.fail(
                f"'{SCRIPT.name} up' failed (exit {up}); see the output above",
                pytrace=False,
            )
        timings["cluster up (binaries built)"] = time.monotonic() - started
        api = config.new_client_from_config(config_file=str(kubeconfig))
        yield Cluster(name=name, kubeconfig=kubeconfig, api=api, timings=timings)
        api.close()
    finally:
        started = time.monotonic()
        down = _run_script(request, "down", env, 300)
        timings["cluster down"] = time.monotonic() - started
    # Reached only when nothing else failed: a cluster that does not go away is an error too.
    if down != 0:
        pytest.fail(f"'{SCRIPT.name} down' failed (exit {down}); see the output above")


@pytest.fixture(scope="session")
def core(kwok_cluster: Cluster) -> client.CoreV1Api:
    return client.CoreV1Api(kwok_cluster.api)


@pytest.fixture(scope="session")
def apps(kwok_cluster: Cluster) -> client.AppsV1Api:
    return client.AppsV1Api(kwok_cluster.api)


@pytest.fixture(scope="session")
def batch(kwok_cluster: Cluster) -> client.BatchV1Api:
    return client.BatchV1Api(kwok_cluster.api)


@pytest.fixture(scope="session")
def custom(kwok_cluster: Cluster) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(kwok_cluster.api)


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:8]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    timings = terminalreporter.config.stash.get(TIMINGS_KEY, None)
    if not timings:
        return
    terminalreporter.section("kwok cluster timings")
    for label, seconds in timings.items():
        if label.startswith("_"):  # internal timestamps, not durations
            continue
        terminalreporter.write_line(f"{label:<40} {seconds:7.2f} s")
