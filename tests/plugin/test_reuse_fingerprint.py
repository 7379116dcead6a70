"""Attaching to a kept sandbox redoes nothing the kept run did: unchanged seed files are not
seeded again and the route templates come from the state file; changed seed files are seeded
again (and said so); a changed service declaration is refused, naming what changed. Fault
injection works on the attached sandbox, and a later run finds the restarted processes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import INFRA, SERVICE, Inner, alive

NAMES_TEST = """
import json, pathlib

async def test_items(items_client, db):
    assert (await items_client.get("/api/items")).status_code == 200
    rows = await db.fetch("SELECT name FROM items ORDER BY name")
    pathlib.Path("names.json").write_text(json.dumps([row["name"] for row in rows]))
"""
FAULT_TEST = """
async def test_restart_then_stop(items_client, sandbox_faults):
    sandbox_faults.restart("items")
    sandbox_faults.restart("postgres")
    assert (await items_client.get("/api/items")).status_code == 200
    sandbox_faults.stop("redis")  # started again after the test
"""
NEW_ITEM = "00000000-0000-4000-c100-000000000004,00000000-0000-4000-b100-000000000001,delta,4\n"


def _names(inner: Inner) -> list[str]:
    names: list[str] = json.loads((inner.path / "names.json").read_text())
    return names


def _stages(doc: dict[str, Any]) -> dict[str, str]:
    return {name: stage["status"] for name, stage in doc["stages"].items()}


@pytest.fixture
def kept(inner: Inner) -> Iterator[Path]:
    """A kept sandbox of the tiny app; removed with --sandbox-gc after the test."""
    inner.tests(test_inner=NAMES_TEST)
    result = inner.run("--sandbox", "--keep", "always")
    result.assert_outcomes(passed=1)
    state_file = inner.path / ".stonks-sandbox" / "state.json"
    state = json.loads(state_file.read_text())
    assert set(state["fingerprint"]) == {"migrations", "seeds", "objects", "services", "plugin"}
    assert state["seed_rows"] == {"owners": 1, "items": 3}
    assert state["routes"] == {"items": ["/api/items", "/api/items/{item_id}"]}
    yield state_file
    assert inner.run("--sandbox-gc").ret == 0
    inner.assert_clean()


def test_unchanged_seed_files_are_not_seeded_again(inner: Inner, kept: Path) -> None:
    result = inner.run("--sandbox-reuse", str(kept))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*seed: skipped: seeded when it was kept; seed files unchanged*"])
    doc = inner.results()
    assert _stages(doc)["seed"] == "skipped" and doc["seed"] is None
    # The route templates came from the state file: the request is still under its template.
    assert [row["route"] for row in doc["endpoints"]] == ["/api/items"]
    assert _names(inner) == ["alpha", "beta", "gamma"]

    again = inner.run("--sandbox-reuse", str(kept), "--sandbox-reseed")
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*seed: --sandbox-reseed: seeding again*"])
    assert _stages(inner.results())["seed"] == "passed"


def test_changed_seed_files_are_seeded_again_once(inner: Inner, kept: Path) -> None:
    items = inner.path / "app" / "seeds" / "020_items.csv"
    items.write_text(items.read_text() + NEW_ITEM)
    result = inner.run("--sandbox-reuse", str(kept))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*seed: seeds changed since the sandbox was kept: seeding again*"])
    assert _stages(inner.results())["seed"] == "passed"
    assert _names(inner) == ["alpha", "beta", "delta", "gamma"]
    assert json.loads(kept.read_text())["seed_rows"] == {"owners": 1, "items": 4}

    next_run = inner.run("--sandbox-reuse", str(kept))
    next_run.assert_outcomes(passed=1)
    assert _stages(inner.results())["seed"] == "skipped"


def test_a_changed_service_declaration_is_refused(inner: Inner, kept: Path) -> None:
    inner.configure(service={"env": {"ITEMS_FLAVOUR": "new"}})
    result = inner.run("--sandbox-reuse", str(kept))
    assert result.ret == 2, result.stdout.str()
    error = inner.results()["infra_error"]
    assert error["component"] == "attach"
    assert "was built from other services than this checkout's" in error["message"]
    assert "pytest --sandbox --keep always" in error["hint"]


def test_faults_act_on_the_attached_sandbox_and_the_state_file_follows(
    inner: Inner, kept: Path
) -> None:
    before = json.loads(kept.read_text())["pids"]
    records = {name: rec for name, rec in inner.seen_pids().items()}
    (inner.path / "test_inner.py").write_text(FAULT_TEST)
    result = inner.run("--sandbox-reuse", str(kept))
    result.assert_outcomes(passed=1)
    after = json.loads(kept.read_text())["pids"]
    assert set(after) == {*INFRA, SERVICE}
    assert {name for name in after if after[name] != before[name]} == {"items", "postgres", "redis"}
    assert [name for name, rec in records.items() if alive(rec)] == ["s3"]  # the others replaced
    # A later run attaches to the restarted processes, and the seed survived the restarts.
    (inner.path / "test_inner.py").write_text(NAMES_TEST)
    inner.run("--sandbox-reuse", str(kept)).assert_outcomes(passed=1)
    assert _names(inner) == ["alpha", "beta", "gamma"]
