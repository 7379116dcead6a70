"""Evidence of failures through real inner runs: each test's request id in the services' logs,
its own lines (and no other test's) in the contract and under the failure, the failure bundle
(kept on failure or when asked, with the failing component's log after an infrastructure
error), no credential in it, and a run that is closed to other users of the machine."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

from sandbox_helpers import ITEM_IDS, SERVICE, Inner

from pytest_stonks_sandbox._measure.requestid import trace_id

MISSING = "00000000-0000-4000-c100-000000000009"
TESTS = f"""
import json, pathlib

async def test_alpha_is_served(items_client, sandbox):
    pathlib.Path("secrets.json").write_text(json.dumps(sandbox.endpoints.secrets()))
    response = await items_client.get("/api/items/{ITEM_IDS[0]}")
    assert response.status_code == 200
    assert response.headers["traceparent"] == response.request.headers["traceparent"]

async def test_missing_item(items_client):
    response = await items_client.get("/api/items/{MISSING}")
    assert response.status_code == 200, "item 9 is missing"
"""
PASSING = """
async def test_listed(items_client):
    assert (await items_client.get("/api/items")).status_code == 200
"""
# Runs inside the sandbox: modes of what the run leaves on disk, and the database's unix socket
# tried as two other users (the server's own unprivileged uid, and one that owns nothing).
CLOSED = """
import json, os, pathlib, stat, subprocess, urllib.error, urllib.request
from urllib.parse import urlsplit

import psutil

PSQL = pathlib.Path({psql!r})

def _psql_as(uid, socket_dir, port):
    return subprocess.run(
        ["setpriv", f"--reuid={{uid}}", f"--regid={{uid}}", "--clear-groups", str(PSQL), "-w",
         "-h", str(socket_dir), "-p", str(port), "-U", "stonks_admin", "-d", "postgres",
         "-c", "SELECT 1"],
        capture_output=True, text=True, timeout=30,
    )

def test_closed_to_other_users(sandbox):
    run_dir = pathlib.Path(sandbox.run_dir)
    port = urlsplit(sandbox.endpoints.postgres_dsn).port
    for uid in (65534, 4242):
        result = _psql_as(uid, run_dir / "pgsocket", port)
        assert result.returncode != 0, f"uid {{uid}} got in: {{result.stdout}}"
        assert "password" in result.stderr or "Permission denied" in result.stderr, result.stderr
    for path in (run_dir, run_dir / "logs", run_dir / "pids", run_dir / "pgsocket"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o067 == 0, path  # group may only pass

def test_the_object_store_answers_only_through_s3(sandbox, s3):
    # Its filer's own HTTP port (loopback, open to every local user) must not serve the object.
    record = json.loads(pathlib.Path(sandbox.run_dir, "pids", "s3.json").read_text())
    pid = next(part["pid"] for part in record["parts"] if part["part"] == "filer")
    flags = dict(a.lstrip("-").split("=", 1) for a in psutil.Process(pid).cmdline() if "=" in a)
    assert s3.get_object(Bucket="items-bucket", Key="docs/hello.txt")["Body"].read()
    url = f"http://127.0.0.1:{{flags['port']}}/buckets/items-bucket/docs/hello.txt"
    try:
        answer = urllib.request.urlopen(url, timeout=10)
        raise AssertionError(f"the filer served the object: {{answer.status}}")
    except urllib.error.HTTPError as exc:
        assert exc.code == 401, exc.code
"""


def _bundle(doc: dict[str, Any]) -> Path:
    bundle = doc["artifacts"]["bundle"]
    assert bundle is not None
    return Path(bundle)


def _tree(root: Path) -> list[Path]:
    return [root, *root.rglob("*")]


def test_a_failed_test_shows_its_own_server_lines(inner: Inner) -> None:
    inner.tests(test_inner=TESTS)
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=1, failed=1)
    doc = inner.results()
    failing = "test_inner.py::test_missing_item"
    trace = trace_id(doc["run_id"], failing)
    (failure,) = doc["failures"]
    assert failure["nodeid"] == failing
    logs = failure["logs"]
    assert logs["trace_id"] == trace
    lines = [json.loads(entry["line"]) for entry in logs["lines"]]
    assert {entry["component"] for entry in logs["lines"]} == {SERVICE}
    assert {line["trace_id"] for line in lines} == {trace}
    assert [line["msg"] for line in lines] == [f"looking up item {MISSING}", "request"]
    assert lines[1]["status"] == 404 and lines[1]["path"] == f"/api/items/{MISSING}"
    assert ITEM_IDS[0] not in json.dumps(logs)  # the other test's lookup is not in this slice
    # Under the failure in the terminal: the same lines.
    result.stdout.fnmatch_lines(
        [f"*stonks-sandbox: server log lines of this test (trace {trace})*",
         f'items | *"looking up item {MISSING}"*'],
    )  # fmt: skip
    # The bundle: every component's log, closed to other users, and no credential in it.
    bundle = _bundle(doc)
    assert logs["full_logs"] == str(bundle)
    assert bundle == inner.path / "inttest-artifacts" / "sandbox"
    logged = {entry["path"] for entry in doc["artifacts"]["files"]}
    assert {"logs/postgres.log", "logs/redis.log", "logs/s3.log", f"logs/{SERVICE}.log"} <= logged
    assert doc["artifacts"]["reason"] == "1 failed test"
    assert (bundle / "index.json").is_file()
    for path in _tree(bundle):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    secrets = json.loads((inner.path / "secrets.json").read_text())
    assert len(secrets) == 5
    contract = inner.results_path.read_text()
    service_log = (bundle / "logs" / f"{SERVICE}.log").read_text()
    assert '"msg": "starting"' in service_log and "[redacted]" in service_log
    for path in [p for p in _tree(bundle) if p.is_file()]:
        text = path.read_text(errors="replace")
        assert not [secret for secret in secrets if secret in text], path
    assert not [secret for secret in secrets if secret in contract]
    assert not [secret for secret in secrets if secret in result.stdout.str()]
    inner.assert_clean()


def test_a_passing_run_keeps_no_bundle_unless_asked(inner: Inner) -> None:
    inner.tests(test_inner=PASSING)
    inner.run("--sandbox").assert_outcomes(passed=1)
    doc = inner.results()
    assert doc["artifacts"]["bundle"] is None and doc["artifacts"]["reason"] is None
    assert not (inner.path / "inttest-artifacts" / "sandbox").exists()
    inner.run("--sandbox", "--sandbox-artifacts=always").assert_outcomes(passed=1)
    doc = inner.results()
    files = {entry["path"] for entry in doc["artifacts"]["files"]}
    assert f"logs/{SERVICE}.log" in files
    assert _bundle(doc).is_dir()
    # The next passing run removes it: a bundle beside a contract is always that run's.
    inner.run("--sandbox").assert_outcomes(passed=1)
    assert inner.results()["artifacts"]["bundle"] is None
    assert not (inner.path / "inttest-artifacts" / "sandbox").exists()


def test_an_infra_failure_leaves_the_failing_components_log(inner: Inner) -> None:
    inner.configure(service={"command": ["{python}", "app/service.py", "--exit-at-start"]})
    inner.tests(test_inner=PASSING)
    result = inner.run("--sandbox")
    assert result.ret == 2
    doc = inner.results()
    assert doc["outcome"] == "infra_error" and doc["infra_error"]["component"] == SERVICE
    assert doc["artifacts"]["reason"] == "infrastructure error"
    log = _bundle(doc) / "logs" / f"{SERVICE}.log"
    assert "refusing to start (--exit-at-start)" in log.read_text()
    inner.assert_clean()


def test_the_run_is_closed_to_other_users(inner: Inner) -> None:
    psql = _psql()
    inner.tests(test_inner=CLOSED.format(psql=str(psql)))
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=2)


def _psql() -> Path:
    from pytest_stonks_sandbox._backends.local.binaries import postgres_bin_dir

    psql = postgres_bin_dir({}) / "psql"
    assert psql.is_file() and os.geteuid() == 0, "needs root and pgserver's psql"
    subprocess.run([str(psql), "--version"], check=True, capture_output=True)
    return psql


def test_evidence_that_cannot_be_written_never_stops_teardown(inner: Inner) -> None:
    inner.tests(test_inner=TESTS)
    (inner.path / "inttest-artifacts").write_text("a file where the bundle's directory goes")
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=1, failed=1)
    doc = inner.results()
    assert doc["artifacts"]["bundle"] is None
    assert "inttest-artifacts" in doc["artifacts"]["error"]
    assert doc["stages"]["teardown"]["status"] == "passed"
    result.stdout.fnmatch_lines(["*evidence: could not be collected*"])
    inner.assert_clean()
