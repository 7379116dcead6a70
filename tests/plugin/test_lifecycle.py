"""The whole lifecycle through real inner runs on the local backend: each exit code, the contract
validated against its schema, short infrastructure errors, and nothing left behind afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_helpers import INFRA, ITEM_IDS, SERVICE, Inner, held_port, run_dirs

PASSING = f"""
import pytest

ITEMS = {list(ITEM_IDS)!r}

async def test_items_are_served(items_client, sandbox_client):
    listed = await items_client.get("/api/items")
    assert listed.status_code == 200 and len(listed.json()) == 3
    for item_id in ITEMS:
        response = await items_client.get(f"/api/items/{{item_id}}")
        assert response.json()["id"] == item_id
    anonymous = sandbox_client("items", headers={{}})
    assert (await anonymous.get("/api/items")).status_code == 401

async def test_seeded_data(sandbox, db, redis, s3, seed_ids):
    assert sandbox.backend == "local"
    assert await db.fetchval("SELECT count(*) FROM items") == 3
    owner = await db.fetchval("SELECT name FROM owners WHERE id = $1", seed_ids["OWNER_ADA"])
    assert owner == "ada"
    assert await redis.ping()
    body = s3.get_object(Bucket="items-bucket", Key="docs/hello.txt")["Body"].read()
    assert body.startswith(b"hello")
"""

FAILING = """
async def test_wrong_item(items_client):
    response = await items_client.get("/api/items/00000000-0000-4000-c100-000000000009")
    assert response.status_code == 200, "item 9 is missing"

def test_fine(sandbox):
    assert sandbox.run_id
"""

USES_SANDBOX = """
def test_uses_sandbox(sandbox):
    assert sandbox.run_id
"""


def _no_traceback(result: pytest.RunResult) -> None:
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    assert "stonks_sandbox/" not in output  # no frames of the plugin's own code


def test_inert_without_sandbox_option(inner: Inner) -> None:
    inner.tests(test_inner=USES_SANDBOX + "\ndef test_plain():\n    assert True\n")
    result = inner.run()
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["stonks-sandbox: off (run with --sandbox*"])
    inner.run("-rs").stdout.fnmatch_lines(
        ["SKIPPED*the Stonks sandbox is off: run pytest with --sandbox*"]
    )
    assert not inner.results_path.exists()
    assert run_dirs(inner.base) == set()
    inner.assert_clean()


def test_exit_0_all_passed(inner: Inner) -> None:
    inner.tests(test_inner=PASSING)
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    doc = inner.results()
    assert (doc["exit_code"], doc["outcome"], doc["backend"]) == (0, "passed", "local")
    assert doc["infra_error"] is None and doc["kept"] is None and doc["failures"] == []
    assert doc["tests"] == {
        "total": 2, "passed": 2, "failed": 0, "errors": 0, "skipped": 0, "xfailed": 0,
        "xpassed": 0,
    }  # fmt: skip
    stages = doc["stages"]
    for name in ("deploy", "seed", "tests", "teardown"):
        assert stages[name]["status"] == "passed", name
        assert stages[name]["seconds"] > 0, name
    assert stages["frontend"]["status"] == "skipped"
    assert set(stages["deploy"]["components"]) == {*INFRA, SERVICE}
    counts = {
        (r["service"], r["method"], r["route"]): (r["count"], r["errors"]) for r in doc["endpoints"]
    }
    assert counts == {
        (SERVICE, "GET", "/api/items"): (2, 0),  # one with the key, one answered 401
        (SERVICE, "GET", "/api/items/{item_id}"): (3, 0),
    }
    assert doc["requests_total"] == 5
    seed = doc["seed"]
    assert {t: v["rows"] for t, v in seed["tables"].items()} == {"owners": 1, "items": 3}
    assert {t: v["inserted"] for t, v in seed["tables"].items()} == {"owners": 1, "items": 3}
    assert (seed["rows_total"], seed["objects"]) == (4, 1)
    assert seed["migrations_applied"] == ["0001_items.sql"]
    assert set(doc["memory"]) == {*INFRA, SERVICE}
    for stats in doc["memory"].values():
        assert stats["samples"] >= 1 and stats["peak_bytes"] >= stats["last_bytes"] > 0
    assert {b["name"] for b in doc["budgets"]} >= {"seed", "api_validation", "pipeline"}
    result.stdout.fnmatch_lines(
        [
            f"[[]stonks-sandbox[]] deploy: local backend, run {doc['run_id']} ...",
            "[[]stonks-sandbox[]] seed: 4 rows in 2 tables, 1 objects in *",
            "*stonks sandbox*",
            f"run {doc['run_id']}  backend local  outcome passed  exit 0*",
            "*items GET /api/items/{item_id} * 3 *",
            f"results: {inner.results_path}",
        ]
    )
    seen = inner.seen()
    assert {r["run_id"] for r in seen} == {doc["run_id"]}
    assert set(inner.seen_pids()) == {*INFRA, SERVICE}
    assert not (inner.base / doc["run_id"]).exists()
    inner.assert_clean()


def test_exit_1_test_failure(inner: Inner) -> None:
    inner.tests(test_inner=FAILING)
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == 1
    doc = inner.results()
    assert (doc["exit_code"], doc["outcome"]) == (1, "failed")
    assert doc["tests"]["failed"] == 1 and doc["tests"]["passed"] == 1
    assert doc["stages"]["tests"]["status"] == "failed"
    assert doc["stages"]["teardown"]["status"] == "passed"
    [failure] = doc["failures"]
    assert failure["nodeid"] == "test_inner.py::test_wrong_item"
    assert failure["when"] == "call"
    assert "item 9 is missing" in failure["message"]
    counts = {r["route"]: (r["count"], r["errors"]) for r in doc["endpoints"]}
    assert counts == {"/api/items/{item_id}": (1, 0)}  # a 404 is an answer, not an error
    inner.assert_clean()


def test_exit_1_broken_test_module(inner: Inner) -> None:
    """pytest calls a collection error an interruption; for the pipeline it is a test failure."""
    inner.tests(test_inner=USES_SANDBOX, test_broken="import module_that_does_not_exist\n")
    result = inner.run("--sandbox")
    assert result.ret == 1, result.stdout.str()
    doc = inner.results()
    assert (doc["exit_code"], doc["outcome"]) == (1, "failed")
    [failure] = doc["failures"]
    assert (failure["nodeid"], failure["when"]) == ("test_broken.py", "collect")
    assert "module_that_does_not_exist" in failure["message"]
    assert doc["stages"]["deploy"]["status"] == "not_run"
    assert run_dirs(inner.base) == set()
    inner.assert_clean()


LEAVES_REDIS_STOPPED = """
async def test_a_stops_redis_and_leaves_it(sandbox_faults, redis):
    sandbox_faults.stop("redis")
    assert sandbox_faults.stopped == {"redis"}

async def test_b_finds_redis_started_again(redis):
    assert await redis.ping()
"""


def test_faults_left_behind_are_restored_after_the_test(inner: Inner) -> None:
    inner.tests(test_inner=LEAVES_REDIS_STOPPED)
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=2)
    assert inner.results()["outcome"] == "passed"
    inner.assert_clean()


def _infra_failure(
    inner: Inner, result: pytest.RunResult, phase: str, component: str
) -> dict[str, Any]:
    assert result.ret == 2, result.stdout.str()
    doc = inner.results()
    assert (doc["exit_code"], doc["outcome"]) == (2, "infra_error")
    error = doc["infra_error"]
    assert (error["phase"], error["component"]) == (phase, component)
    result.stdout.fnmatch_lines([f"*{phase} failed for {component}: *"])
    _no_traceback(result)
    assert len(result.stdout.lines) < 60
    inner.assert_clean()
    return doc


def test_exit_2_broken_seed_row(inner: Inner) -> None:
    seed_file = inner.path / "app" / "seeds" / "020_items.csv"
    lines = seed_file.read_text().splitlines()
    lines[2] = lines[2].replace(",2", ",two")  # quantity of the 2nd data row is not an integer
    seed_file.write_text("\n".join(lines) + "\n")
    inner.tests(test_inner=USES_SANDBOX)
    result = inner.run("--sandbox")
    doc = _infra_failure(inner, result, "seeding", str(seed_file))
    assert "line 3 (data row 2)" in doc["infra_error"]["message"]
    assert '"two"' in doc["infra_error"]["message"]
    assert doc["stages"]["deploy"]["status"] == "passed"
    assert doc["stages"]["seed"]["status"] == "failed"
    assert doc["stages"]["tests"]["status"] == "not_run"
    assert doc["stages"]["teardown"]["status"] == "passed"
    assert doc["seed"] is None
    assert doc["tests"]["total"] == 0


def test_exit_2_missing_binary(inner: Inner) -> None:
    missing = str(inner.path / "no-such-dir" / "postgres")
    inner.configure(binaries={"postgres": missing})
    inner.tests(test_inner=USES_SANDBOX)
    result = inner.run("--sandbox")
    doc = _infra_failure(inner, result, "provisioning", "postgres")
    assert missing in doc["infra_error"]["message"]
    assert doc["stages"]["deploy"]["status"] == "failed"
    assert doc["stages"]["seed"]["status"] == "not_run"


@pytest.mark.parametrize("component", ["postgres", "s3", SERVICE])
def test_exit_2_fixed_port_in_use(inner: Inner, component: str) -> None:
    with held_port() as sock:
        port = sock.getsockname()[1]
        inner.configure(ports={component: port})
        inner.tests(test_inner=USES_SANDBOX)
        result = inner.run("--sandbox")
    doc = _infra_failure(inner, result, "provisioning", component)
    assert f"port {port}" in doc["infra_error"]["message"]
    assert "already in use" in doc["infra_error"]["message"]


def test_exit_2_service_exits_at_startup(inner: Inner) -> None:
    inner.configure(
        service={"command": ["{python}", str(inner.path / "app" / "service.py"), "--exit-at-start"]}
    )
    inner.tests(test_inner=USES_SANDBOX)
    result = inner.run("--sandbox")
    doc = _infra_failure(inner, result, "provisioning", SERVICE)
    assert "exited with code 3 during start-up" in doc["infra_error"]["message"]
    assert "refusing to start" in doc["infra_error"]["message"]  # the log tail is quoted


CRASH = """
import json, os, pathlib, signal, time
import psutil

def test_kill_the_service(sandbox):
    record = json.loads(pathlib.Path(sandbox.run_dir, "pids", "items.json").read_text())
    os.kill(record["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if psutil.Process(record["pid"]).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.01)

def test_never_runs(sandbox):
    pass
"""


def test_exit_2_component_crashes_mid_run(inner: Inner) -> None:
    inner.tests(test_inner=CRASH)
    result = inner.run("--sandbox")
    doc = _infra_failure(inner, result, "run", SERVICE)
    assert "exited with code -9 during the run" in doc["infra_error"]["message"]
    assert doc["tests"]["passed"] == 1 and doc["tests"]["total"] == 1
    assert doc["stages"]["teardown"]["status"] == "passed"


def test_api_validation_is_the_time_of_the_tests_that_use_the_sandbox(inner: Inner) -> None:
    """A test that never touches the sandbox (here one that sleeps 1.5 s) does not count."""
    inner.tests(
        test_inner="""
import time

async def test_items(items_client):
    assert (await items_client.get("/api/items")).status_code == 200

def test_without_the_sandbox():
    time.sleep(1.5)
"""
    )
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=2)
    doc = inner.results()
    budget = {b["name"]: b for b in doc["budgets"]}["api_validation"]
    assert budget["measured"] == "the summed durations of the 1 test that uses the sandbox"
    assert 0 < budget["actual"] < 1.5 <= doc["stages"]["tests"]["seconds"]
    result.stdout.fnmatch_lines(
        ["budget api_validation * ok (the summed durations of the 1 test that uses the sandbox)"]
    )
    inner.assert_clean()


EXIT_PROBE = """
import atexit, gc, pathlib

# Registered before the plugin's own exit handler, so it runs after it.
atexit.register(lambda: pathlib.Path("frozen-at-exit").write_text(str(gc.get_freeze_count())))
"""


def test_a_sandbox_run_leaves_its_objects_out_of_the_collection_at_exit(inner: Inner) -> None:
    (inner.path / "exitprobe.py").write_text(EXIT_PROBE)
    inner.tests(test_inner="def test_plain():\n    pass\n")
    inner.run("--sandbox", "-p", "exitprobe").assert_outcomes(passed=1)
    assert int((inner.path / "frozen-at-exit").read_text()) > 0
    inner.run("-p", "exitprobe").assert_outcomes(passed=1)
    assert int((inner.path / "frozen-at-exit").read_text()) == 0
    inner.assert_clean()
