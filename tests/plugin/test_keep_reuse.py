"""--keep leaves the sandbox up and writes the state file; --sandbox-reuse attaches to it;
--sandbox-gc removes it; --keep on-failure keeps only a failed run's sandbox."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from sandbox_helpers import INFRA, SERVICE, Inner, alive, run_dirs

ITEMS_TEST = """
async def test_items(items_client, sandbox):
    assert (await items_client.get("/api/items")).status_code == 200
"""

FAILING_TEST = """
def test_fails(sandbox):
    assert False, "on purpose"
"""


def test_keep_reuse_gc(inner: Inner) -> None:
    inner.tests(test_inner=ITEMS_TEST)
    kept = inner.run("--sandbox", "--keep", "always")
    kept.assert_outcomes(passed=1)
    assert kept.ret == 0
    doc = inner.results()
    state_file = inner.path / ".stonks-sandbox" / "state.json"
    assert doc["outcome"] == "passed"
    assert doc["stages"]["teardown"]["status"] == "kept"
    assert doc["kept"]["state_file"] == str(state_file)
    kept.stdout.fnmatch_lines(["sandbox kept: state *state.json; attach with --sandbox-reuse*"])
    state = json.loads(state_file.read_text())
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600  # it holds every credential
    run_dir = Path(state["run_dir"])
    assert stat.S_IMODE(run_dir.stat().st_mode) & 0o067 == 0
    assert state["run_id"] == doc["run_id"] == run_dir.name
    assert run_dir.is_dir() and json.loads((run_dir / "run.json").read_text())["kept"] is True
    records = inner.seen_pids()
    assert {name for name, record in records.items() if alive(record)} == {*INFRA, SERVICE}

    (inner.path / "sandbox-seen").rename(inner.path / "sandbox-seen-first")
    reused = inner.run("--sandbox-reuse", str(state_file))
    reused.assert_outcomes(passed=1)
    assert reused.ret == 0
    doc = inner.results()
    assert (doc["backend"], doc["run_id"], doc["outcome"]) == ("attach", state["run_id"], "passed")
    assert doc["stages"]["deploy"]["status"] == "passed"
    assert doc["stages"]["deploy"]["seconds"] < 5
    assert doc["stages"]["teardown"]["detail"] == "left the kept sandbox running"
    assert doc["kept"] is None
    assert [r["route"] for r in doc["endpoints"]] == ["/api/items"]
    assert {r["backend"] for r in inner.seen()} == {"attach"}
    assert all(alive(record) for record in records.values())
    assert run_dir.is_dir()

    gc = inner.run("--sandbox-gc")
    assert gc.ret == 0
    gc.stderr.fnmatch_lines([f"Exit: stonks-sandbox gc: *{state['run_id']}*"])
    assert [name for name, record in records.items() if alive(record)] == []
    assert not run_dir.exists()
    assert not state_file.exists()
    inner.assert_clean()


def test_keep_on_failure_keeps_only_failed_runs(inner: Inner) -> None:
    inner.tests(test_inner=ITEMS_TEST)
    passed = inner.run("--sandbox", "--keep", "on-failure")
    assert passed.ret == 0
    doc = inner.results()
    assert doc["kept"] is None and doc["stages"]["teardown"]["status"] == "passed"
    assert not (inner.path / ".stonks-sandbox" / "state.json").exists()
    assert not (inner.base / doc["run_id"]).exists()
    assert run_dirs(inner.base) == set()

    (inner.path / "test_inner.py").write_text(FAILING_TEST)
    failed = inner.run("--sandbox", "--keep", "on-failure")
    assert failed.ret == 1
    doc = inner.results()
    assert doc["stages"]["teardown"]["status"] == "kept"
    assert doc["kept"] is not None and (inner.base / doc["run_id"]).is_dir()
    assert Path(doc["kept"]["state_file"]).is_file()

    assert inner.run("--sandbox-gc").ret == 0
    assert not (inner.base / doc["run_id"]).exists()
    inner.assert_clean()
