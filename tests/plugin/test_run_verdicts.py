"""Verdicts of real inner runs: expected errors, baselines, declared budgets, the gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram
from sandbox_helpers import Inner

from pytest_stonks_sandbox._measure.histograms import (
    decode_histogram,
    encode_histogram,
    new_histogram,
)

FAULTS = """
async def test_a_stops_redis(sandbox_faults, items_client):
    sandbox_faults.stop("redis")
    assert (await items_client.get("/ready")).status_code == 503

async def test_b_ready(items_client):
    assert (await items_client.get("/ready")).status_code == 200
"""

REQUESTS = """
async def test_items(items_client):
    for _ in range(40):
        assert (await items_client.get("/api/items")).status_code == 200
"""


def _gate_line(lines: list[str]) -> str:
    """The last line of the plugin's summary section (the next one starts pytest's own)."""
    index = next(i for i, line in enumerate(lines) if line.startswith("gate: "))
    assert index + 1 == len(lines) or lines[index + 1].startswith("=")
    return lines[index]


def _row(document: dict[str, Any], route: str) -> dict[str, Any]:
    return next(row for row in document["endpoints"] if row["route"] == route)


def test_errors_of_an_injected_fault_are_expected_ones(inner: Inner) -> None:
    inner.tests(test_inner=FAULTS)
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=2)
    ready = _row(inner.results(), "/ready")
    assert (ready["count"], ready["errors"], ready["expected_errors"]) == (2, 0, 1)
    result.stdout.fnmatch_lines(["*1 expected errors (requests while a fault was injected)*"])


def _faster(histogram_text: str, factor: int) -> str:
    """The same requests, each `factor` times faster (a baseline this run must regress from)."""
    original: Any = decode_histogram(histogram_text)
    faster: HdrHistogram = new_histogram()
    for item in original.get_recorded_iterator():
        faster.record_value(
            max(item.value_iterated_to // factor, 1), item.count_at_value_iterated_to
        )
    return encode_histogram(faster)


def test_a_regression_against_the_baseline_blocks_and_fails_when_enforced(inner: Inner) -> None:
    inner.tests(test_inner=REQUESTS)
    inner.run("--sandbox").assert_outcomes(passed=1)
    baseline = inner.results()
    for row in baseline["endpoints"]:
        row["histogram"] = _faster(row["histogram"], 20)
    path = inner.path / "baseline.json"
    path.write_text(json.dumps(baseline), encoding="utf-8")

    result = inner.run("--sandbox", f"--sandbox-baseline={path}", "--sandbox-regression-floor=0")
    assert result.ret == 0  # not enforced: the gate says it, the exit code does not
    document = inner.results()
    items = [e for e in document["comparison"]["routes"] if e["route"] == "/api/items"]
    assert {e["metric"]: e["verdict"] for e in items} == {"p95": "regression", "p99": "regression"}
    assert document["gate"]["decision"] == "not_ready"
    assert "regression" in {b["kind"] for b in document["gate"]["blockers"]}
    result.stdout.fnmatch_lines(["*regression   items GET /api/items p95*"])
    assert _gate_line(result.stdout.lines).startswith("gate: NOT READY for promotion")

    enforced = inner.run(
        "--sandbox", f"--sandbox-baseline={path}", "--sandbox-regression-floor=0",
        "--sandbox-enforce-budgets",
    )  # fmt: skip
    assert enforced.ret == 1
    assert inner.results()["outcome"] == "failed"


def test_a_baseline_that_is_not_a_contract_is_a_usage_error(inner: Inner) -> None:
    inner.tests(test_inner=REQUESTS)
    missing = inner.run("--sandbox", "--sandbox-baseline=nowhere.json")
    assert missing.ret == 4
    missing.stderr.fnmatch_lines(["*--sandbox-baseline: *nowhere.json: no such file*"])
    (inner.path / "junk.json").write_text("[1, 2")
    junk = inner.run("--sandbox", "--sandbox-baseline=junk.json")
    assert junk.ret == 4
    junk.stderr.fnmatch_lines(["*junk.json is not JSON*"])


def test_declared_budgets_are_checked_on_the_routes_histogram(inner: Inner) -> None:
    inner.configure(budgets={"items GET /api/items": "p95 < 0.001ms, error_rate < 1%"})
    inner.tests(test_inner=REQUESTS)
    result = inner.run("--sandbox", "--sandbox-enforce-budgets")
    assert result.ret == 1
    rows = {row["name"]: row for row in inner.results()["budgets"]}
    p95 = rows["items GET /api/items p95"]
    assert p95["breached"] is True and p95["actual"] > 0.001 and p95["kind"] == "route"
    assert rows["items GET /api/items error_rate"]["breached"] is False
    result.stdout.fnmatch_lines(["*budget items GET /api/items p95 < 0.001ms: * BREACHED*"])


def test_a_bad_budget_in_the_project_table_is_a_usage_error(inner: Inner) -> None:
    inner.configure(budgets={"items GET /api/items": "p95 > 5ms"})
    inner.tests(test_inner=REQUESTS)
    result = inner.run("--sandbox")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*budget 'items GET /api/items': 'p95 > 5ms' is not a limit*"])


def test_the_gate_scores_categories_and_ends_the_summary(inner: Inner, tmp_path: Path) -> None:
    inner.configure(
        categories={"reliability": ["test_inner.py"], "api": {"modules": ["test_other.py"],
                                                              "weight": 10}},
    )  # fmt: skip
    inner.tests(test_inner=REQUESTS, test_other="def test_fails():\n    assert False\n")
    result = inner.run("--sandbox")
    assert result.ret == 1
    gate = inner.results()["gate"]
    scores = {c["name"]: c["score"] for c in gate["categories"]}
    assert scores == {"reliability": 100.0, "api": 0.0}
    assert gate["score"] == round(100 * 25 / 35, 2)
    assert [b["kind"] for b in gate["blockers"]] == ["failed_test"]
    assert _gate_line(result.stdout.lines).startswith("gate: NOT READY for promotion (score 71.4")
