"""The local deploy begins as soon as the run is configured, so it overlaps collection; when no
selected test needs the sandbox it is called off, leaving nothing behind; a signal during
collection tears it down within a second. Each inner test module below waits, while it is
collected, for the deploy's first server to be running (or makes sure none starts)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
from sandbox_helpers import Inner, run_dirs

EXIT_WITHIN_S = 1.0

# Imported during collection: waits (20 s at most) until a server of the deploy runs, and says
# whether one did in collected.json.
COLLECTING = """
import json, os, pathlib, time

def _deploy_running(wait_s):
    base = pathlib.Path(os.environ["STONKS_SANDBOX_DIR"])
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if list(base.glob("*/pids/redis.json")):
            return True
        time.sleep(0.01)
    return False

pathlib.Path("collected.json").write_text(json.dumps({{"running": _deploy_running({wait_s})}}))
{after}

def test_uses_sandbox(sandbox):
    assert sandbox.run_id

def test_plain():
    assert True
"""


def _collected(inner: Inner) -> bool:
    return bool(json.loads((inner.path / "collected.json").read_text())["running"])


def test_deploy_runs_while_tests_are_collected(inner: Inner) -> None:
    inner.tests(test_inner=COLLECTING.format(wait_s=20, after=""))
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=2)
    assert _collected(inner)
    doc = inner.results()
    assert doc["stages"]["deploy"]["status"] == "passed"
    assert doc["stages"]["teardown"]["status"] == "passed"
    inner.assert_clean()


def test_deploy_is_called_off_when_no_selected_test_needs_it(inner: Inner) -> None:
    inner.tests(test_inner=COLLECTING.format(wait_s=20, after=""))
    result = inner.run("--sandbox", "-k", "plain")
    result.assert_outcomes(passed=1, deselected=1)
    assert _collected(inner)  # it had begun
    doc = inner.results()
    stages = {name: stage["status"] for name, stage in doc["stages"].items()}
    wanted = ("not_run", "not_run", "skipped")
    assert (stages["deploy"], stages["seed"], stages["teardown"]) == wanted
    assert (doc["exit_code"], doc["infra_error"]) == (0, None)
    inner.assert_clean()


def test_collect_only_deploys_nothing(inner: Inner) -> None:
    inner.tests(test_inner=COLLECTING.format(wait_s=1.5, after=""))
    result = inner.run("--sandbox", "--co", "-q")
    assert result.ret == 0, result.stdout.str()
    assert not _collected(inner)
    assert run_dirs(inner.base) == set()
    inner.assert_clean()


def _interrupted_run(inner: Inner, *args: str) -> subprocess.Popen[bytes]:
    """An inner run, SIGINT once it wrote collecting.marker (0.3 s later)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--sandbox", "-p", "no:cacheprovider", *args],
        cwd=inner.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not (inner.path / "collecting.marker").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the inner run never collected:\n{proc.communicate()[0].decode()}")
        time.sleep(0.02)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    return proc


def test_signal_during_collection_tears_the_deploy_down(inner: Inner) -> None:
    """The service never gets ready, so the deploy is still waiting when the signal comes."""
    inner.configure(service={"ready": "/never-ready"})
    # In slices: the kernel may hand the signal to a thread of the deploy, and Python acts on
    # it only once the main thread runs again.
    sleeps = (
        "pathlib.Path('collecting.marker').write_text('1')\n"
        "for _ in range(3000):\n    time.sleep(0.02)"
    )
    inner.tests(test_inner=COLLECTING.format(wait_s=20, after=sleeps))
    proc = _interrupted_run(inner)
    sent = time.monotonic()
    output = proc.communicate(timeout=60)[0].decode(errors="replace")
    seconds = time.monotonic() - sent
    assert _collected(inner)
    assert proc.returncode == 2, output
    assert seconds < EXIT_WITHIN_S, f"exited {seconds:.2f} s after SIGINT\n{output}"
    doc = inner.results()
    assert (doc["outcome"], doc["infra_error"]) == ("interrupted", None)
    assert doc["stages"]["deploy"]["status"] == "interrupted"
    assert doc["stages"]["teardown"]["status"] == "passed"
    inner.assert_clean()


SLOW_SESSION_START = """
import pathlib, time

def pytest_sessionstart(session):
    pathlib.Path("collecting.marker").write_text("1")
    for _ in range(3000):  # in slices, as above
        time.sleep(0.02)
"""


def test_signal_before_the_session_started_leaves_nothing(inner: Inner) -> None:
    """pytest calls no session finish then; the config's cleanup stops the deploy."""
    inner.configure(service={"ready": "/never-ready"})
    (inner.path / "slowstart.py").write_text(SLOW_SESSION_START)
    inner.tests(test_inner="def test_uses(sandbox):\n    pass\n")
    proc = _interrupted_run(inner, "-p", "slowstart")
    sent = time.monotonic()
    output = proc.communicate(timeout=60)[0].decode(errors="replace")
    seconds = time.monotonic() - sent
    assert proc.returncode == 2, output
    assert seconds < EXIT_WITHIN_S, f"exited {seconds:.2f} s after SIGINT\n{output}"
    inner.assert_clean()
