"""Ctrl-C and SIGTERM tear the sandbox down and still write the contract; SIGKILL cannot, so the
next run sweeps what the killed one left behind."""

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
from sandbox_helpers import INFRA, SERVICE, Inner, alive

SLEEPER = """
import pathlib, time

def test_sleeps(sandbox):
    pathlib.Path("started.marker").write_text(sandbox.run_dir)
    time.sleep(60)
"""


def _start(inner: Inner, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "--sandbox", "-p", "no:cacheprovider", *args],
        cwd=inner.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_for_marker(inner: Inner, proc: subprocess.Popen[bytes], timeout: float = 90) -> Path:
    marker = inner.path / "started.marker"
    deadline = time.monotonic() + timeout
    # The inner test writes the file in two steps (create, then write): wait for its content.
    while not (marker.exists() and marker.read_text()):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            output = proc.communicate()[0].decode(errors="replace")
            pytest.fail(f"the inner run never reached its test:\n{output}")
        time.sleep(0.05)
    return Path(marker.read_text())


def _pid_records(run_dir: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in (run_dir / "pids").glob("*.json")}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_tears_down_and_reports(inner: Inner, sig: signal.Signals) -> None:
    inner.tests(test_inner=SLEEPER)
    proc = _start(inner)
    try:
        run_dir = _wait_for_marker(inner, proc)
        records = _pid_records(run_dir)
        assert set(records) == {*INFRA, SERVICE}
        assert all(alive(r) for r in records.values())
        proc.send_signal(sig)
        output = proc.communicate(timeout=60)[0].decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 2, output
    doc = inner.results()
    assert (doc["exit_code"], doc["outcome"]) == (2, "interrupted")
    assert doc["infra_error"] is None
    assert doc["stages"]["teardown"]["status"] == "passed"
    assert doc["run_id"] == run_dir.name
    assert "KeyboardInterrupt" in output
    assert [name for name, record in records.items() if alive(record)] == []
    assert not run_dir.exists()
    inner.assert_clean()


def test_sigkill_leaves_sandbox_that_next_run_sweeps(inner: Inner) -> None:
    inner.tests(test_inner=SLEEPER)
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
