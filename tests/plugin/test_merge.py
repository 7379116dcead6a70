"""Merging shard contracts exactly, and the merge/compare commands."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_stonks_sandbox._analysis.gate import CategoryRule, decide
from pytest_stonks_sandbox._analysis.merge import MergeError, merge
from pytest_stonks_sandbox._contract.builder import RunFacts, build_report, not_run_stages
from pytest_stonks_sandbox._contract.validate import validation_errors
from pytest_stonks_sandbox._measure.budgets import evaluate_budgets, evaluate_declared
from pytest_stonks_sandbox._measure.histograms import HISTOGRAM_ENCODING, LatencyRecorder, RouteKey
from pytest_stonks_sandbox._settings.budgetspec import parse_budgets

KEYS = [RouteKey("query-api", "GET", f"/api/r{i}") for i in range(5)]
SPECS = parse_budgets({"query-api GET /api/r0": "p95 < 40ms"}, "test")
RULES = [CategoryRule("api", 20, ("tests/test_api.py",))]
Sample = tuple[RouteKey, int, bool]


def _samples(seed: int, count: int = 400) -> list[Sample]:
    rng = random.Random(seed)
    return [(rng.choice(KEYS), int(rng.lognormvariate(16.5, 0.8)), rng.random() < 0.05)
            for _ in range(count)]  # fmt: skip


def _recorder(samples: list[Sample]) -> LatencyRecorder:
    recorder = LatencyRecorder()
    for key, ns, error in samples:
        recorder.record(key, ns, error)
    return recorder


def _shard(index: int, samples: list[Sample], failed: int = 0) -> dict[str, Any]:
    recorder = _recorder(samples)
    stages = not_run_stages()
    stages["deploy"] = {
        "status": "passed",
        "seconds": 2.0 + index,
        "components": {"pg": 1.0 + index},
    }
    stages["tests"] = {"status": "failed" if failed else "passed", "seconds": 5.0}
    series = [[1000.0 + index, 30 << 20], [1001.0 + index, 40 << 20]]
    memory = {"postgres": {"peak_bytes": (40 + index) << 20, "last_bytes": 30 << 20, "samples": 2,
                           "measure": "pss", "source": "process", "series": series}}  # fmt: skip
    endpoints = recorder.endpoint_rows()
    budgets = evaluate_budgets({"seed": 0.5, "pipeline": 9.0}, []) + evaluate_declared(
        SPECS, endpoints, memory
    )
    facts = RunFacts(
        run_id="ci-7", backend="local", namespace="", image_tag="",
        started_at=1_800_000_000.0 + index, finished_at=1_800_000_010.0 + index,
        exit_code=1 if failed else 0,
        tests={"total": 10, "passed": 10 - failed, "failed": failed},
        modules={"tests/test_api.py": {"total": 10, "passed": 10 - failed, "failed": failed}},
        failures=[{"nodeid": f"tests/test_api.py::t{index}", "when": "call", "message": "no"}]
        if failed else [],
        stages=stages, endpoints=endpoints, histogram_encoding=HISTOGRAM_ENCODING,
        requests_total=recorder.total_requests(), memory=memory, budgets=budgets,
    )  # fmt: skip
    document = build_report(facts)
    document["gate"] = decide(document, RULES, 70.0)
    return document


def test_merged_shards_equal_one_run_of_every_request() -> None:
    shard_samples = [_samples(seed) for seed in (1, 2, 3, 4)]
    shards = [(f"s{i}.json", _shard(i, s)) for i, s in enumerate(shard_samples)]
    merged = merge(shards)
    everything = _recorder([sample for samples in shard_samples for sample in samples])
    assert merged["endpoints"] == everything.endpoint_rows()
    assert merged["requests_total"] == 1600
    assert validation_errors(merged) == []


def test_tests_stages_memory_and_budgets_combine() -> None:
    shards = [(f"s{i}.json", _shard(i, _samples(i), failed=i % 2)) for i in range(3)]
    merged = merge(shards)
    assert merged["tests"]["total"] == 30 and merged["tests"]["failed"] == 1
    assert merged["modules"]["tests/test_api.py"]["total"] == 30
    assert [f["nodeid"] for f in merged["failures"]] == ["tests/test_api.py::t1"]
    assert merged["outcome"] == "failed" and merged["exit_code"] == 1
    deploy = merged["stages"]["deploy"]
    assert deploy["seconds"] == 4.0 and deploy["components"] == {"pg": 3.0}
    assert merged["stages"]["tests"]["status"] == "failed"
    postgres = merged["memory"]["postgres"]
    assert postgres["peak_bytes"] == 42 << 20 and postgres["samples"] == 6
    assert [t for t, _ in postgres["series"]] == sorted(t for t, _ in postgres["series"])
    route_budget = next(b for b in merged["budgets"] if b["kind"] == "route")
    all_samples = [s for i in range(3) for s in _samples(i)]
    exact = evaluate_declared(SPECS, _recorder(all_samples).endpoint_rows(), {})[0]
    assert route_budget["actual"] == exact["actual"]
    assert merged["gate"]["decision"] == "not_ready"
    assert [b["kind"] for b in merged["gate"]["blockers"]][:1] == ["failed_test"]
    assert [m["path"] for m in merged["merged_from"]] == ["s0.json", "s1.json", "s2.json"]
    assert merged["artifacts"] == {"bundle": None, "shard_bundles": []}


def test_each_shards_bundle_is_listed() -> None:
    shards = [(f"s{i}.json", _shard(i, _samples(i), failed=1)) for i in range(2)]
    for index, (_, shard) in enumerate(shards):
        shard["artifacts"] = {"bundle": f"/ci/shard{index}/inttest-artifacts/sandbox"}
    merged = merge(shards)
    assert merged["artifacts"]["shard_bundles"] == [
        "/ci/shard0/inttest-artifacts/sandbox", "/ci/shard1/inttest-artifacts/sandbox",
    ]  # fmt: skip
    assert merged["artifacts"]["bundle"] is None
    assert merge(shards[:1])["artifacts"]["bundle"] == "/ci/shard0/inttest-artifacts/sandbox"
    assert validation_errors(merged) == []


def test_shards_without_histograms_or_of_two_backends_are_refused() -> None:
    old = _shard(0, _samples(0))
    old["schema_version"] = "1.0"
    with pytest.raises(MergeError, match=r"old\.json: schema '1\.0' keeps no histograms"):
        merge([("new.json", _shard(1, _samples(1))), ("old.json", old)])
    other = _shard(2, _samples(2))
    other["backend"] = "kubernetes"
    with pytest.raises(MergeError, match="share a backend"):
        merge([("a.json", _shard(1, _samples(1))), ("b.json", other)])
    with pytest.raises(MergeError, match="nothing to merge"):
        merge([])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_stonks_sandbox", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _write(path: Path, document: dict[str, Any]) -> str:
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_the_merge_command_writes_a_valid_contract(tmp_path: Path) -> None:
    paths = [_write(tmp_path / f"s{i}.json", _shard(i, _samples(i))) for i in range(2)]
    out = tmp_path / "merged.json"
    done = _cli("merge", *paths, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "merged 2 contracts" in done.stdout
    assert validation_errors(json.loads(out.read_text())) == []


def test_the_compare_command_exits_1_on_a_regression(tmp_path: Path) -> None:
    base = _shard(0, _samples(0))
    slower = _shard(0, [(key, ns * 3, error) for key, ns, error in _samples(0)])
    base_path, slow_path = _write(tmp_path / "a.json", base), _write(tmp_path / "b.json", slower)
    done = _cli("compare", base_path, slow_path)
    assert done.returncode == 1, done.stderr
    assert "regression   query-api GET /api/r0 p95" in done.stdout
    same = _cli("compare", base_path, base_path)
    assert same.returncode == 0 and "0 regressions" in same.stdout


NEWER = json.dumps({"schema_version": "9.0", "run_id": "r", "outcome": "passed", "tests": {},
                    "stages": {}, "endpoints": [], "memory": {}})  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), ("{", "is not JSON"), ('{"a": 1}', "is not a results contract"),
     (NEWER, "this plugin reads schemas 1.x, 2.x")],
)  # fmt: skip
def test_commands_name_a_file_that_is_not_a_contract(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "c.json"
    if content is not None:
        path.write_text(content)
    done = _cli("compare", str(path), str(path))
    assert done.returncode == 2
    assert message in done.stderr and str(path) in done.stderr
