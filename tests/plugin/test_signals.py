"""Ctrl-C and SIGTERM end the run within a second at every stage, tear the sandbox down and still
write the contract, with the stage they stopped marked interrupted; SIGKILL cannot, so the next
run sweeps what the killed one left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import INFRA, SERVICE, Inner, alive, run_dirs

# From the signal to the process's exit, teardown and the contract included.
EXIT_WITHIN_S = 1.0

SLEEPER = """
import pathlib, time

def test_sleeps(sandbox):
    pathlib.Path("started.marker").write_text(sandbox.run_dir)
    for _ in range(3000):  # in slices (see below)
        time.sleep(0.02)
"""
# A long wait of the inner run is cut into slices: the kernel may hand the signal to one of the
# sandbox's threads, and Python acts on it only once the main thread runs again.


def _default_sigint() -> None:
    # A background job may start with SIGINT ignored; Python then never raises KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(inner: Inner, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "--sandbox", "-p", "no:cacheprovider", *args],
        cwd=inner.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=_default_sigint,
    )


def _wait_for_text(path: Path, proc: subprocess.Popen[bytes], reached: str, timeout: float) -> str:
    """The text of a marker the inner run writes once it has `reached` somewhere."""
    deadline = time.monotonic() + timeout
    # The inner run writes the file in two steps (create, then write): wait for its content.
    while not (path.exists() and path.read_text()):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            output = proc.communicate()[0].decode(errors="replace")
            pytest.fail(f"the inner run never reached {reached}:\n{output}")
        time.sleep(0.02)
    return path.read_text()


def _wait_for_marker(inner: Inner, proc: subprocess.Popen[bytes], timeout: float = 90) -> Path:
    return Path(_wait_for_text(inner.path / "started.marker", proc, "its test", timeout))


def _pid_records(run_dir: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in (run_dir / "pids").glob("*.json")}


def _wait_for_deploy(inner: Inner, proc: subprocess.Popen[bytes], timeout: float = 60) -> Path:
    """The run dir once every component's process is running (deploy is then waiting)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for name in run_dirs(inner.base):
            run_dir = inner.base / name
            records = _pid_records(run_dir) if (run_dir / "pids").is_dir() else {}
            if set(records) == {*INFRA, SERVICE} and all(alive(r) for r in records.values()):
                return run_dir
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"deploy never started:\n{proc.communicate()[0].decode(errors='replace')}")


COLLECTED_HOOK = """

def pytest_collection_finish(session):
    pathlib.Path(str(session.config.rootpath), "collected.marker").write_text("1")
"""


def _interrupt(proc: subprocess.Popen[bytes], sig: signal.Signals) -> tuple[float, str]:
    """Send the signal; return the seconds until the process exited, and its output."""
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    seconds = time.monotonic() - sent
    assert proc.stdout is not None
    return seconds, proc.stdout.read().decode(errors="replace")


SIGNALS = pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])


@SIGNALS
def test_signal_during_deploy_ends_it_at_once(inner: Inner, sig: signal.Signals) -> None:
    """The service never gets ready, so deploy would wait its whole timeout (30 s)."""
    inner.configure(service={"ready": "/never-ready"})
    inner.tests(test_inner="def test_uses(sandbox):\n    pass\n")
    conftest = inner.path / "conftest.py"
    conftest.write_text(conftest.read_text() + COLLECTED_HOOK)
    proc = _start(inner)
    run_dir = _wait_for_deploy(inner, proc)
    records = _pid_records(run_dir)
    # The deploy begins at configure time: wait until the session runs, not just the deploy.
    _wait_for_text(inner.path / "collected.marker", proc, "the end of collection", 60)
    time.sleep(0.3)  # well inside the wait for readiness
    seconds, output = _interrupt(proc, sig)
    assert proc.returncode == 2, output
    assert seconds < EXIT_WITHIN_S, f"exited {seconds:.2f} s after {sig.name}\n{output}"
    doc = inner.results()
    assert (doc["exit_code"], doc["outcome"], doc["infra_error"]) == (2, "interrupted", None)
    stages = {name: stage["status"] for name, stage in doc["stages"].items()}
    assert stages == {
        "deploy": "interrupted",
        "seed": "not_run",
        "tests": "not_run",
        "frontend": "skipped",
        "teardown": "passed",
    }
    # The components that answered before the signal are named with their time.
    assert set(doc["stages"]["deploy"]["components"]) <= {*INFRA, SERVICE}
    assert [name for name, record in records.items() if alive(record)] == []
    assert not run_dir.exists()
    inner.assert_clean()


@SIGNALS
def test_signal_during_tests_tears_down_and_reports(inner: Inner, sig: signal.Signals) -> None:
    inner.tests(test_inner=SLEEPER)
    proc = _start(inner)
    run_dir = _wait_for_marker(inner, proc)
    records = _pid_records(run_dir)
    assert set(records) == {*INFRA, SERVICE}
    assert all(alive(r) for r in records.values())
    seconds, output = _interrupt(proc, sig)
    assert proc.returncode == 2, output
    assert seconds < EXIT_WITHIN_S, f"exited {seconds:.2f} s after {sig.name}\n{output}"
    doc = inner.results()
    assert (doc["exit_code"], doc["outcome"]) == (2, "interrupted")
    assert doc["infra_error"] is None
    assert doc["stages"]["deploy"]["status"] == "passed"
    assert doc["stages"]["tests"]["status"] == "interrupted"
    assert doc["stages"]["teardown"]["status"] == "passed"
    assert doc["run_id"] == run_dir.name
    assert "KeyboardInterrupt" in output
    assert [name for name, record in records.items() if alive(record)] == []
    assert not run_dir.exists()
    inner.assert_clean()


NEVER_SETTLES = """service = "items"
timeout_s = 30

[pages.never-settles]
path = "/pages/never-settles"
calls = ["items GET /api/items"]
fields = [{ selector = "h1" }]
"""
TESTS_THEN_PAGES = """
import pathlib

def test_items(sandbox):
    pathlib.Path("started.marker").write_text(sandbox.run_dir)
"""


def test_signal_during_frontend_marks_it_interrupted_and_ends_the_browser(inner: Inner) -> None:
    """The page never says it is ready, so its check would wait 30 s without the signal."""
    inner.configure(pages="pages.toml")
    (inner.path / "pages.toml").write_text(NEVER_SETTLES, encoding="utf-8")
    inner.tests(test_inner=TESTS_THEN_PAGES)
    proc = _start(inner)
    run_dir = _wait_for_marker(inner, proc)
    time.sleep(1.5)  # the tests are done; the page check is waiting for the page
    seconds, output = _interrupt(proc, signal.SIGINT)
    assert proc.returncode == 2, output
    assert seconds < EXIT_WITHIN_S, f"exited {seconds:.2f} s after SIGINT\n{output}"
    doc = inner.results()
    assert doc["outcome"] == "interrupted"
    stages = {name: stage["status"] for name, stage in doc["stages"].items()}
    assert stages == {
        "deploy": "passed",
        "seed": "passed",
        "tests": "passed",
        "frontend": "interrupted",
        "teardown": "passed",
    }
    assert not run_dir.exists()
    inner.assert_clean()  # the browser carries the run's tag too


MANY_FILES = """
import pathlib

def test_fills_the_run_dir(sandbox):
    # Enough files that removing the run dir takes a moment: teardown is still going on when
    # the signal arrives.
    bulk = pathlib.Path(sandbox.run_dir, "bulk")
    for group in range(40):
        directory = bulk / str(group)
        directory.mkdir(parents=True)
        for index in range(500):
            (directory / str(index)).write_bytes(b"x")
"""


def test_signal_during_teardown_is_noted_and_teardown_finishes(inner: Inner) -> None:
    inner.tests(test_inner=MANY_FILES)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--sandbox", "-p", "no:cacheprovider"],
        cwd=inner.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=_default_sigint,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    lines = []
    for raw in proc.stdout:  # the tests stage's line comes right before teardown
        lines.append(raw.decode(errors="replace"))
        if "[stonks-sandbox] tests:" in lines[-1]:
            break
    (run_dir,) = (inner.base / name for name in run_dirs(inner.base))
    deadline = time.monotonic() + 30
    # Teardown has begun once the components are stopped (their pid records go); the run dir
    # with its files is removed after that.
    while list((run_dir / "pids").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    output = "".join(lines) + proc.communicate(timeout=60)[0].decode(errors="replace")
    assert proc.returncode == 2, output
    doc = inner.results()
    assert (doc["exit_code"], doc["outcome"], doc["infra_error"]) == (2, "interrupted", None)
    assert doc["stages"]["tests"]["status"] == "passed"
    assert doc["stages"]["teardown"]["status"] == "interrupted", doc["stages"]["teardown"]
    assert "teardown finished first" in doc["stages"]["teardown"]["detail"]
    assert "KeyboardInterrupt" not in output
    inner.assert_clean()


def _kill_9_during_tests(inner: Inner) -> tuple[subprocess.Popen[bytes], Path, dict[str, Any]]:
    """Start the inner run, SIGKILL it once its test runs: (process, run dir, pid records)."""
    proc = _start(inner)
    try:
        run_dir = _wait_for_marker(inner, proc)
        records = _pid_records(run_dir)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc, run_dir, records


def test_sigkill_leaves_sandbox_that_next_run_sweeps(inner: Inner) -> None:
    inner.tests(test_inner=SLEEPER)
    proc, run_dir, records = _kill_9_during_tests(inner)
    assert proc.returncode == -signal.SIGKILL
    # Nobody tore down: every component is still running and the run dir is still there.
    assert {name for name, record in records.items() if alive(record)} == {*INFRA, SERVICE}
    assert run_dir.is_dir() and run_dir.parent == inner.base
    assert not inner.results_path.exists()

    (inner.path / "test_inner.py").write_text("def test_quick(sandbox):\n    pass\n")
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"*deploy: removed what killed runs left behind: *{run_dir.name}*"]
    )
    assert [name for name, record in records.items() if alive(record)] == []
    assert not run_dir.exists()
    assert inner.results()["run_id"] != run_dir.name
    inner.assert_clean()
