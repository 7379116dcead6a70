"""build_report is a pure function whose output validates; outcome(); the terminal summary."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pytest_stonks_sandbox._contract.builder import (
    EXIT_FAILED,
    EXIT_INFRA,
    EXIT_PASSED,
    RunFacts,
    build_report,
    outcome,
    where_it_ran,
    write_report,
)
from pytest_stonks_sandbox._contract.summary import summary_lines
from pytest_stonks_sandbox._contract.validate import validation_errors
from pytest_stonks_sandbox._measure.budgets import evaluate_budgets
from pytest_stonks_sandbox._measure.histograms import HISTOGRAM_ENCODING, LatencyRecorder, RouteKey

STAGES = {
    "deploy": {"status": "passed", "seconds": 2.5, "components": {"postgres": 1.2, "items": 2.4}},
    "seed": {"status": "passed", "seconds": 0.3},
    "tests": {"status": "failed", "seconds": 1.0},
    "frontend": {"status": "skipped", "seconds": 0.0, "detail": "no pages"},
    "teardown": {"status": "passed", "seconds": 0.7},
}


def _endpoint() -> dict[str, Any]:
    recorder = LatencyRecorder()
    for ms in (1.5, 1.1, 2.5):
        recorder.record(RouteKey("items", "GET", "/api/items/{item_id}"), int(ms * 1e6), False)
    return recorder.endpoint_rows()[0]


ENDPOINT = _endpoint()
MEMORY = {
    "postgres": {"peak_bytes": 30_000_000, "last_bytes": 20_000_000, "samples": 4,
                 "measure": "pss", "source": "process",
                 "series": [[1_700_000_001.0, 30_000_000], [1_700_000_002.0, 20_000_000]]},
}  # fmt: skip


def _facts(**overrides: Any) -> RunFacts:
    values: dict[str, Any] = {
        "run_id": "ci-1",
        "backend": "local",
        "namespace": "stonks-inttest-ci-1",
        "image_tag": "",
        "started_at": 1_700_000_000.0,
        "finished_at": 1_700_000_012.3456,
        "exit_code": EXIT_FAILED,
        "tests": {"total": 2, "passed": 1, "failed": 1},
        "modules": {"t.py": {"total": 2, "passed": 1, "failed": 1}},
        "failures": [{"nodeid": "t.py::test_a", "when": "call", "message": "assert 1 == 2"}],
        "stages": STAGES,
        "endpoints": [ENDPOINT],
        "histogram_encoding": HISTOGRAM_ENCODING,
        "requests_total": 3,
        "memory": MEMORY,
        "seed": {"seconds": 0.3, "tables": {"items": {"rows": 3, "inserted": 3}},
                 "rows_total": 3, "objects": 1, "migrations_applied": ["0001_items.sql"]},
        "budgets": evaluate_budgets({"seed": 0.3, "tests": 1.0, "pipeline": 12.3}, []),
        "environment": {"python": "3.11", "xdist_workers": 0},
    }  # fmt: skip
    values.update(overrides)
    return RunFacts(**values)


def test_build_report_is_pure_and_valid() -> None:
    facts = _facts()
    before = copy.deepcopy(facts)
    first, second = build_report(facts), build_report(facts)
    assert first == second
    assert first is not second and first["stages"] is not second["stages"]
    assert facts == before  # the facts are not modified
    assert validation_errors(first) == []
    assert json.loads(json.dumps(first)) == first
    assert first["started_at"] == "2023-11-14T22:13:20.000+00:00"
    assert first["duration_s"] == 12.346
    assert first["outcome"] == "failed"
    assert first["tests"] == {
        "total": 2, "passed": 1, "failed": 1, "errors": 0, "skipped": 0, "xfailed": 0,
        "xpassed": 0,
    }  # fmt: skip
    first["stages"]["deploy"]["status"] = "changed"
    assert build_report(facts)["stages"]["deploy"]["status"] == "passed"


def test_minimal_reports_validate() -> None:
    """An infrastructure failure before anything ran still gives a valid document."""
    stages: dict[str, dict[str, Any]] = {
        name: {"status": "not_run", "seconds": None} for name in STAGES
    }
    stages["deploy"] = {"status": "failed", "seconds": 0.1, "detail": "provisioning failed"}
    error = {"phase": "provisioning", "component": "postgres", "message": "no binary", "hint": ""}
    document = build_report(
        RunFacts(
            run_id="x",
            backend="local",
            namespace="",
            image_tag="",
            started_at=1.0,
            finished_at=0.5,  # a clock step backwards never gives a negative duration
            exit_code=EXIT_INFRA,
            infra_error=error,
            stages=stages,
        )
    )
    assert validation_errors(document) == []
    assert (document["outcome"], document["duration_s"], document["seed"]) == (
        "infra_error",
        0,
        None,
    )


def test_where_it_ran_names_the_pod_and_node_in_a_cluster() -> None:
    assert where_it_ran({}) == {"in_cluster": False}
    in_pod = {"KUBERNETES_SERVICE_HOST": "10.214.0.1", "HOSTNAME": "runner-x"}
    assert where_it_ran(in_pod) == {"in_cluster": True, "pod": "runner-x", "node": None}
    told = {**in_pod, "STONKS_RUNNER_POD": "stonks-inttest-1-abc", "STONKS_RUNNER_NODE": "n0"}
    facts = where_it_ran(told)
    assert facts == {"in_cluster": True, "pod": "stonks-inttest-1-abc", "node": "n0"}
    document = build_report(_facts(environment={"python": "3.11", **facts}))
    assert validation_errors(document) == []
    document["environment"]["in_cluster"] = "yes"
    assert any(e.startswith("environment/in_cluster:") for e in validation_errors(document))


def test_validation_errors_find_broken_documents() -> None:
    document = build_report(_facts())
    del document["run_id"]
    document["outcome"] = "mostly-fine"
    document["endpoints"][0]["count"] = 0
    errors = validation_errors(document)
    assert any("'run_id' is a required property" in e for e in errors)
    assert any(e.startswith("outcome: 'mostly-fine'") for e in errors)
    assert any(e.startswith("endpoints/0/count:") for e in errors)


@pytest.mark.parametrize(
    ("exit_code", "infra_error", "interrupted", "expected"),
    [
        (EXIT_PASSED, None, False, "passed"),
        (EXIT_FAILED, None, False, "failed"),
        (5, None, False, "failed"),  # no tests collected is not a pass
        (EXIT_INFRA, None, True, "interrupted"),
        (EXIT_INFRA, {"phase": "seeding"}, False, "infra_error"),
        (EXIT_INFRA, {"phase": "run"}, True, "infra_error"),  # the infra error wins
    ],
)
def test_outcome(exit_code: int, infra_error: Any, interrupted: bool, expected: str) -> None:
    assert outcome(exit_code, infra_error, interrupted) == expected


def test_summary_lines() -> None:
    document = build_report(_facts())
    lines = summary_lines(document, "/out/inttest-results.json")
    text = "\n".join(lines)
    assert lines[0].startswith("run ci-1  backend local  outcome failed  exit 1  12.3 s")
    assert any(
        line.startswith("deploy     passed       2.50  postgres 1.20s, items 2.40s")
        for line in lines
    )
    assert "seed       passed       0.30  3 rows, 1 objects" in text
    assert "tests      failed       1.00  1 passed, 1 failed" in text
    assert "items GET /api/items/{item_id}" in text
    assert "memory postgres" in text and "(4 samples, pss from process)" in text
    assert "BREACHED" not in text
    assert lines[-1] == "results: /out/inttest-results.json"


def test_summary_lines_mention_breached_budgets_infra_errors_and_kept() -> None:
    budgets = evaluate_budgets({"seed": 31.0, "tests": 1.0, "pipeline": 700.0}, [])
    document = build_report(
        _facts(
            budgets=budgets,
            exit_code=EXIT_INFRA,
            infra_error={"phase": "run", "component": "items", "message": "exited", "hint": ""},
            kept={"state_file": "/p/.stonks-sandbox/state.json", "run_dir": "/tmp/x"},
        )
    )
    assert validation_errors(document) == []
    lines = summary_lines(document, "r.json")
    breached = [line for line in lines if "BREACHED" in line]
    assert [line.split()[1] for line in breached] == ["seed", "pipeline"]
    assert "budget seed             < 30s: 31.00 BREACHED (the seed stage's wall time)" in lines
    assert "infrastructure error (run, items): exited" in lines
    assert any("sandbox kept: state /p/.stonks-sandbox/state.json" in line for line in lines)


def test_write_report_is_atomic(tmp_path: Any) -> None:
    path = tmp_path / "out" / "inttest-results.json"
    document = build_report(_facts())
    write_report(path, document)
    assert json.loads(path.read_text()) == document
    assert [p.name for p in path.parent.iterdir()] == ["inttest-results.json"]


def test_forward_counters_are_recorded_validated_and_failures_summarised() -> None:
    forwards = {
        "redis": {"connections": 12, "reconnects": 1, "failures": 0, "last_error": ""},
        "postgres": {
            "connections": 30,
            "reconnects": 2,
            "failures": 1,
            "last_error": "ReadinessError: postgres has no Ready pod to forward to.",
        },
    }
    document = build_report(_facts(forwards=forwards))
    assert document["schema_version"] == "2.1"
    assert list(document["forwards"]) == ["postgres", "redis"]
    assert validation_errors(document) == []
    lines = summary_lines(document, "r.json")
    failed = [line for line in lines if line.startswith("port-forward")]
    assert failed == [
        "port-forward postgres: 1 connection(s) failed, 2 reconnect(s) of 30 "
        "(last error: ReadinessError: postgres has no Ready pod to forward to.)"
    ]
    broken = copy.deepcopy(document)
    broken["forwards"]["redis"]["failures"] = -1
    assert any(error.startswith("forwards/redis/failures") for error in validation_errors(broken))


def test_a_run_without_forwards_has_none_and_a_2_0_document_still_validates() -> None:
    document = build_report(_facts())
    assert document["forwards"] is None
    assert not [line for line in summary_lines(document, "r.json") if "port-forward" in line]
    older = {key: value for key, value in document.items() if key != "forwards"}
    older["schema_version"] = "2.0"
    assert validation_errors(older) == []
