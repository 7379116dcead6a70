"""Time from Ctrl-C (SIGINT) or SIGTERM to the exit of `pytest --sandbox` on the local backend.

    python benchmarks/bench_interrupt.py [--runs N] [--signal INT|TERM] [--kwok]

Two moments, the repository's whole stack (PostgreSQL, Redis, S3, four services) each time:
  deploy  the signal 0.2 s after every component's process has started (deploy is waiting)
  tests   the signal while a test sleeps (the sandbox is up and seeded)
Each run checks that the contract says `interrupted` and that the run directory is gone.
Prints each run and the median/min/max of each moment; target: at most 1 s.

--kwok: the Kubernetes backend on the kwok cluster of scripts/kwok-cluster.sh instead (its own
cluster name, brought up and taken down here): kwok marks the pods Ready but nothing answers
behind their port-forwards, so deploy is probing them when the signal comes 1 s after every pod
is Ready; each run checks `interrupted` and that the namespace is being deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEPLOY_TARGET = "tests/integration/test_query_api.py::TestQueryAPICompanies"
SLEEPER = """
import pathlib, time

def test_sleeps(sandbox):
    pathlib.Path(__file__).with_name("started.marker").write_text(sandbox.run_dir)
    time.sleep(120)
"""


def _default_sigint() -> None:
    # A background job may start with SIGINT ignored; Python then never raises KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _pytest(base: Path, results: Path, *args: str) -> subprocess.Popen[bytes]:
    options = ["-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), "-p", "no:cacheprovider"]
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "--sandbox", f"--results={results}", *options, *args],
        cwd=ROOT,
        env={**_environ(), "STONKS_SANDBOX_DIR": str(base)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=_default_sigint,
    )


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("STONKS_SANDBOX")}


def _deploying(base: Path, components: int) -> Path | None:
    for run_dir in base.iterdir():
        if run_dir.name == "_cache":
            continue
        pids = run_dir / "pids"
        if pids.is_dir() and len(list(pids.glob("*.json"))) >= components:
            return run_dir
    return None


def _wait(proc: subprocess.Popen[bytes], ready: object, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        found = ready() if callable(ready) else None
        if isinstance(found, Path):
            return found
        time.sleep(0.02)
    proc.kill()
    raise SystemExit(f"the run never got there:\n{proc.communicate()[0].decode()[-3000:]}")


def _interrupt(proc: subprocess.Popen[bytes], sig: signal.Signals, results: Path) -> float:
    sent = time.monotonic()
    proc.send_signal(sig)
    output = proc.communicate(timeout=120)[0].decode(errors="replace")
    seconds = time.monotonic() - sent
    outcome = json.loads(results.read_text())["outcome"] if results.is_file() else "no contract"
    if outcome != "interrupted":
        raise SystemExit(f"outcome {outcome!r}, not interrupted:\n{output[-3000:]}")
    return seconds


def _read(path: Path) -> str:
    return path.read_text() if path.is_file() else ""


def one_run(moment: str, sig: signal.Signals, base: Path) -> float:
    """One interrupted run; run dirs go under `base`, whose _cache (the initdb template) stays."""
    scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=base.parent))
    results = scratch / "results.json"
    if moment == "deploy":
        components = 3 + len(_services())
        proc = _pytest(base, results, DEPLOY_TARGET)
        run_dir = _wait(proc, lambda: _deploying(base, components))
        time.sleep(0.2)
    else:
        tests = scratch / "tests"
        tests.mkdir()
        (tests / "test_sleeper.py").write_text(SLEEPER, encoding="utf-8")
        marker = tests / "started.marker"
        proc = _pytest(base, results, str(tests / "test_sleeper.py"))
        # The marker can be seen before its text is written: wait for the text too.
        run_dir = _wait(proc, lambda: Path(text) if (text := _read(marker)) else None)
    seconds = _interrupt(proc, sig, results)
    shutil.rmtree(scratch)
    if run_dir.exists():
        raise SystemExit(f"{run_dir} is still there after the run ended")
    return seconds


def kwok_run(sig: signal.Signals, kubeconfig: Path, core: Any) -> float:
    """One interrupted Kubernetes deploy on kwok."""
    from pytest_stonks_sandbox._backends.kubernetes import manifests
    from pytest_stonks_sandbox._backends.kubernetes.cluster import component_of, is_ready
    from pytest_stonks_sandbox._settings.project import load_project

    namespace = f"stonks-inttest-bi{os.urandom(3).hex()}"
    results = kubeconfig.parent / f"{namespace}.json"
    env = {**_environ(), "KUBECONFIG": str(kubeconfig)}
    command = [
        sys.executable, "-m", "pytest", "--sandbox", "--sandbox-backend=kubernetes",
        "--image-tag=kwok", f"--namespace={namespace}", f"--results={results}",
        "--sandbox-timeout=120", "-p", "no:cacheprovider", "tests/integration/test_registry_api.py",
    ]  # fmt: skip
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=_default_sigint,
    )  # fmt: skip
    components = set(manifests.components(load_project(ROOT)))

    def all_ready() -> Path | None:
        pods = core.list_namespaced_pod(namespace).items
        return kubeconfig if components <= {component_of(p) for p in pods if is_ready(p)} else None

    _wait(proc, all_ready, timeout=60)
    time.sleep(1.0)  # deploy is probing the components through their forwards
    return _interrupt(proc, sig, results)


def kwok(runs: int, sig: signal.Signals) -> list[float]:
    """`runs` interrupted deploys on a kwok cluster brought up (and down) here."""
    from kubernetes import client, config

    work = Path(tempfile.mkdtemp(prefix="stonks-bench-interrupt-kwok-"))
    kubeconfig = work / "kubeconfig"
    env = {**os.environ, "STONKS_KWOK_CLUSTER": "stonks-bench-int"}
    env["STONKS_KWOK_KUBECONFIG"] = str(kubeconfig)
    script = str(ROOT / "scripts" / "kwok-cluster.sh")
    subprocess.run([script, "build"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run([script, "up"], check=True, env=env, stdout=subprocess.DEVNULL)
    try:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        core = client.CoreV1Api(api)
        values = []
        for index in range(runs):
            values.append(kwok_run(sig, kubeconfig, core))
            print(f"run {index + 1}: {sig.name} during deploy on kwok to exit: {values[-1]:.2f} s")
        api.close()
    finally:
        subprocess.run([script, "down"], check=True, env=env, stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
    return values


def _services() -> list[str]:
    from pytest_stonks_sandbox._settings.project import load_project

    return [spec.name for spec in load_project(ROOT).services]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--signal", choices=("INT", "TERM"), default="INT")
    parser.add_argument("--kwok", action="store_true", help="the Kubernetes backend on kwok")
    args = parser.parse_args()
    sig = signal.Signals[f"SIG{args.signal}"]
    if args.kwok:
        values = kwok(args.runs, sig)
        print(
            f"{sig.name} during deploy on kwok to exit: median {statistics.median(values):.2f} s  "
            f"min {min(values):.2f} s  max {max(values):.2f} s"
        )
        return
    work = Path(tempfile.gettempdir()) / "stonks-sandbox-bench-interrupt"
    base = work / "runs"
    base.mkdir(mode=0o755, parents=True, exist_ok=True)
    for path in (work, base):
        path.chmod(0o755)  # PostgreSQL runs unprivileged and must enter its run dir
    results: dict[str, list[float]] = {"deploy": [], "tests": []}
    for index in range(args.runs):
        for moment, values in results.items():
            values.append(one_run(moment, sig, base))
        line = ", ".join(f"{moment} {values[-1]:.2f} s" for moment, values in results.items())
        print(f"run {index + 1}: {sig.name} to exit: {line}")
    for moment, values in results.items():
        print(
            f"{sig.name} during {moment:<7} to exit: median {statistics.median(values):.2f} s  "
            f"min {min(values):.2f} s  max {max(values):.2f} s"
        )


if __name__ == "__main__":
    main()
