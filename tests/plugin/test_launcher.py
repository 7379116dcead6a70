"""Services declared with `app = "module:attr"`: forked from the preloading launcher, each still a
process of its own (pid, session, log, memory, faults, crash detection), and nothing left running
after teardown, a signal or kill -9 of pytest."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import INFRA, SERVICE, Inner, alive
from test_lifecycle import CRASH
from test_signals import (
    EXIT_WITHIN_S,
    SLEEPER,
    _interrupt,
    _kill_9_during_tests,
    _pid_records,
    _start,
    _wait_for_marker,
)

from pytest_stonks_sandbox._core.errors import ConfigError
from pytest_stonks_sandbox._settings.project import parse_project

APP = {"app": "asgi_items:app", "cwd": "app"}

FORKED = """
import json, os, pathlib
import httpx, psutil, pytest

def records(sandbox):
    return {p.stem: json.loads(p.read_text())
            for p in pathlib.Path(sandbox.run_dir, "pids").glob("*.json")}

async def whoami(sandbox_client):
    async with sandbox_client("items") as client:
        return (await client.get("/whoami")).json()

async def test_forked_from_the_launcher(sandbox, items_client, sandbox_client):
    items = await items_client.get("/api/items")
    assert items.status_code == 200 and len(items.json()) == 3
    me, found = await whoami(sandbox_client), records(sandbox)
    launchers = [name for name in found if name.startswith("launcher-")]
    assert len(launchers) == 1
    assert me["pid"] == found["items"]["pid"] != found[launchers[0]]["pid"]
    assert me["ppid"] == found[launchers[0]]["pid"]
    assert me["sid"] == me["pid"]  # a session of its own: signalled as a group
    log = pathlib.Path(sandbox.run_dir, "logs", "items.log").read_text()
    assert f"imported in pid {me['pid']}" in log  # its app is imported in the child, logged there

async def test_restart_forks_it_again(sandbox, sandbox_faults, sandbox_client):
    before = await whoami(sandbox_client)
    sandbox_faults.stop("items")
    with pytest.raises(httpx.TransportError):
        async with sandbox_client("items") as client:
            await client.get("/health")
    assert not psutil.pid_exists(before["pid"]) or (
        psutil.Process(before["pid"]).status() == psutil.STATUS_ZOMBIE)
    sandbox_faults.start("items")
    after = await whoami(sandbox_client)
    assert after["pid"] != before["pid"]
    assert after["ppid"] == before["ppid"]  # the same launcher forked it again
    assert records(sandbox)["items"]["pid"] == after["pid"]
"""


def test_forked_service_is_served_restarted_measured_and_cleaned(inner: Inner) -> None:
    inner.configure(service=APP)
    inner.tests(test_inner=FORKED)
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=2)
    doc = inner.results()
    assert doc["memory"][SERVICE]["peak_bytes"] > 0  # the child's own process tree
    assert set(doc["stages"]["deploy"]["components"]) == {*INFRA, SERVICE}
    inner.assert_clean()


def test_crash_of_a_forked_service_is_detected(inner: Inner) -> None:
    inner.configure(service=APP)
    inner.tests(test_inner=CRASH)
    result = inner.run("--sandbox")
    assert result.ret == 2, result.stdout.str()
    error = inner.results()["infra_error"]
    assert (error["phase"], error["component"]) == ("run", SERVICE)
    assert "exited with code -9 during the run" in error["message"]
    inner.assert_clean()


def test_bad_app_is_an_infrastructure_error_naming_the_service(inner: Inner) -> None:
    inner.configure(service={**APP, "app": "asgi_items:missing"})
    inner.tests(test_inner="def test_uses(sandbox):\n    pass\n")
    result = inner.run("--sandbox")
    assert result.ret == 2, result.stdout.str()
    error = inner.results()["infra_error"]
    assert (error["phase"], error["component"]) == ("provisioning", SERVICE)
    assert "its app 'asgi_items:missing' could not be loaded" in error["message"]
    assert "AttributeError" in error["message"]  # the log tail says why
    assert "[tool.stonks-sandbox.services.items]" in error["hint"]
    inner.assert_clean()


def _wait_gone(records: dict[str, dict[str, Any]], names: list[str], timeout_s: float) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        still = [name for name in names if alive(records[name])]
        if not still:
            return []
        time.sleep(0.02)
    return still


def test_kill_9_of_pytest_ends_the_launcher_and_its_services(inner: Inner) -> None:
    inner.configure(service=APP)
    inner.tests(test_inner=SLEEPER)
    _, run_dir, records = _kill_9_during_tests(inner)
    launched = [name for name in records if name.startswith("launcher-")] + [SERVICE]
    assert len(launched) == 2
    # The launcher sees its pipe close and ends, its service with it; nobody tore down the rest.
    assert _wait_gone(records, launched, timeout_s=3.0) == []
    assert all(alive(records[name]) for name in INFRA)
    (inner.path / "test_inner.py").write_text("def test_quick(sandbox):\n    pass\n")
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*removed what killed runs left behind: *{run_dir.name}*"])
    assert not Path(run_dir).exists()
    inner.assert_clean()


def test_sigterm_ends_forked_services_within_a_second(inner: Inner) -> None:
    inner.configure(service=APP)
    inner.tests(test_inner=SLEEPER)
    proc = _start(inner)
    run_dir = _wait_for_marker(inner, proc)
    records = _pid_records(run_dir)
    seconds, output = _interrupt(proc, signal.SIGTERM)
    assert proc.returncode == 2, output
    assert seconds < EXIT_WITHIN_S, output
    assert inner.results()["stages"]["teardown"]["status"] == "passed"
    assert [name for name, record in records.items() if alive(record)] == []
    inner.assert_clean()


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ({}, "needs exactly one of 'command' and 'app' (neither is set)"),
        ({"app": "a:b", "command": ["x"]}, "needs exactly one of 'command' and 'app' (both are"),
        ({"app": "no-colon"}, "has app = 'no-colon': it must be \"module:attribute\""),
        ({"app": "pkg.mod:"}, "has app = 'pkg.mod:': it must be"),
        ({"app": 3}, "has app = 3: it must be"),
    ],
)
def test_app_or_command_is_checked_naming_the_service(
    service: dict[str, Any], expected: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_project({"services": {"query": service}}, root=tmp_path)
    assert f"service 'query' {expected}" in str(caught.value)


def test_app_and_preload_are_read(tmp_path: Path) -> None:
    project = parse_project(
        {"preload": ["fastapi", "pkg.common"], "services": {"q": {"app": "pkg.q.app:app"}}},
        root=tmp_path,
    )
    assert project.preload == ("fastapi", "pkg.common")
    assert (project.services[0].app, project.services[0].command) == ("pkg.q.app:app", ())
    assert parse_project({}, root=tmp_path).preload == ("uvicorn",)
    with pytest.raises(ConfigError, match="'preload' must be a list of module names"):
        parse_project({"preload": ["not a module"]}, root=tmp_path)


KEPT_RESTART = """
async def test_restart_on_the_kept_sandbox(sandbox_faults, sandbox_client):
    sandbox_faults.restart("items")
    async with sandbox_client("items") as client:
        assert (await client.get("/health")).status_code == 200
"""


def test_kept_sandbox_keeps_its_forked_services_across_runs(inner: Inner) -> None:
    inner.configure(service=APP)
    inner.tests(test_inner="def test_uses(sandbox):\n    pass\n")
    kept = inner.run("--sandbox", "--keep", "always")
    kept.assert_outcomes(passed=1)
    state_file = inner.path / ".stonks-sandbox" / "state.json"
    run_dir = Path(json.loads(state_file.read_text())["run_dir"])
    first = _pid_records(run_dir)
    assert alive(first[SERVICE])  # the launcher was told to outlive the run

    inner.tests(test_inner=KEPT_RESTART)
    reused = inner.run("--sandbox-reuse", str(state_file))
    reused.assert_outcomes(passed=1)
    after = _pid_records(run_dir)
    assert after[SERVICE]["pid"] != first[SERVICE]["pid"]
    assert alive(after[SERVICE])  # forked again, and still up after the attaching run ended

    assert inner.run("--sandbox-gc").ret == 0
    records = {**first, **after}
    assert _wait_gone(records, list(records), timeout_s=3.0) == []
    inner.assert_clean()
