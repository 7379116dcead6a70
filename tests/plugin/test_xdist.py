"""`-n 2 --sandbox`: one sandbox for both workers, and the controller merges their histograms."""

from __future__ import annotations

from sandbox_helpers import SERVICE, Inner

TESTS = """
import time
import pytest

ITEM = "00000000-0000-4000-c100-000000000002"

@pytest.mark.parametrize("n", range(8))
async def test_requests(items_client, sandbox, n):
    time.sleep(0.2)  # spread the tests over both workers
    assert (await items_client.get("/api/items")).status_code == 200
    for _ in range(n % 3 + 1):
        assert (await items_client.get(f"/api/items/{ITEM}")).status_code == 200
"""
LISTS = 8
GETS = sum(n % 3 + 1 for n in range(8))


def test_two_workers_share_one_sandbox(inner: Inner) -> None:
    inner.tests(test_inner=TESTS)
    result = inner.run("--sandbox", "-n", "2")
    result.assert_outcomes(passed=8)
    assert result.ret == 0
    doc = inner.results()
    seen = inner.seen()
    assert len(seen) == 8
    assert len({r["worker_pid"] for r in seen}) == 2
    assert {r["run_id"] for r in seen} == {doc["run_id"]}
    assert len({r["run_dir"] for r in seen}) == 1
    assert len({r["pids"][SERVICE]["pid"] for r in seen}) == 1  # one service process, one deploy
    deploys = [line for line in result.stdout.lines if "[stonks-sandbox] deploy: local" in line]
    assert len(deploys) == 1
    assert doc["environment"]["xdist_workers"] == 2
    assert doc["tests"]["passed"] == doc["tests"]["total"] == 8
    counts = {(r["method"], r["route"]): r["count"] for r in doc["endpoints"]}
    assert counts == {("GET", "/api/items"): LISTS, ("GET", "/api/items/{item_id}"): GETS}
    assert doc["requests_total"] == LISTS + GETS
    assert doc["stages"]["teardown"]["status"] == "passed"
    inner.assert_clean()


def test_deploy_failure_under_xdist(inner: Inner) -> None:
    """The controller provisions before the workers start; its failure is still exit 2 + JSON."""
    inner.configure(binaries={"redis": str(inner.path / "missing" / "redis-server")})
    inner.tests(test_inner=TESTS)
    result = inner.run("--sandbox", "-n", "2")
    assert result.ret == 2, result.stdout.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    doc = inner.results()
    assert (doc["outcome"], doc["infra_error"]["component"]) == ("infra_error", "redis")
    assert doc["stages"]["deploy"]["status"] == "failed"
    inner.assert_clean()


def test_seed_failure_under_xdist_tears_down(inner: Inner) -> None:
    seed_file = inner.path / "app" / "seeds" / "020_items.csv"
    seed_file.write_text(seed_file.read_text().replace(",3\n", ",three\n"))
    inner.tests(test_inner=TESTS)
    result = inner.run("--sandbox", "-n", "2")
    assert result.ret == 2, result.stdout.str()
    try:
        inner.assert_clean()  # the deployed sandbox is gone
    finally:
        inner.cleanup()
    doc = inner.results()
    assert (doc["outcome"], doc["infra_error"]["phase"]) == ("infra_error", "seeding")
