"""The promotion gate: blockers, category scores, the weighted score and the decision."""

from __future__ import annotations

from typing import Any

from pytest_stonks_sandbox._analysis.gate import CategoryRule, decide

RULES = [
    CategoryRule("reliability", 25, ("tests/integration/test_resilience.py",)),
    CategoryRule("api", 20, ("tests/integration/test_*_api.py",)),
]


def _counts(total: int, failed: int = 0, skipped: int = 0) -> dict[str, int]:
    return {"total": total, "passed": total - failed - skipped, "failed": failed,
            "errors": 0, "skipped": skipped}  # fmt: skip


def _document(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "outcome": "passed",
        "infra_error": None,
        "tests": {"total": 30},
        "modules": {
            "tests/integration/test_resilience.py": _counts(10),
            "tests/integration/test_query_api.py": _counts(10, skipped=2),
            "tests/plugin/test_x.py": _counts(10),
        },
        "failures": [],
        "pages": [],
        "budgets": [],
        "comparison": None,
    }
    document.update(overrides)
    return document


def test_a_clean_run_is_ready_with_full_scores() -> None:
    gate = decide(_document(), RULES, 70.0)
    assert gate["decision"] == "ready" and gate["blockers"] == []
    scores = {c["name"]: (c["tests"], c["score"]) for c in gate["categories"]}
    assert scores == {"reliability": (10, 100.0), "api": (8, 100.0), "other": (10, 100.0)}
    assert gate["score"] == 100.0


def test_the_score_is_weighted_by_category() -> None:
    modules = {
        "tests/integration/test_resilience.py": _counts(10, failed=5),  # 50 %, weight 25
        "tests/integration/test_query_api.py": _counts(10),  # 100 %, weight 20
        "tests/plugin/test_x.py": _counts(10, failed=10),  # "other": weight 0
    }
    gate = decide(_document(modules=modules), RULES, 70.0)
    assert gate["score"] == round((50 * 25 + 100 * 20) / 45, 2) == 72.22
    assert gate["decision"] == "ready"  # no failure listed: the score alone decides
    assert decide(_document(modules=modules), RULES, 75.0)["decision"] == "not_ready"


def test_every_kind_of_blocker_is_named() -> None:
    document = _document(
        outcome="failed",
        failures=[
            {"nodeid": "tests/integration/test_query_api.py::test_a", "message": "assert 1"},
            {"nodeid": "tests/integration/frontend_pages.toml::orders", "message": "a11y"},
        ],
        pages=[{"page": "orders", "status": "failed", "problems": ["2 serious violations"]}],
        budgets=[
            {
                "name": "seed",
                "actual": 31.0,
                "unit": "s",
                "limit": 30.0,
                "spec": "< 30s",
                "breached": True,
            }
        ],
        comparison={
            "routes": [
                {
                    "service": "q",
                    "method": "GET",
                    "route": "/r",
                    "metric": "p95",
                    "baseline_ms": 1.0,
                    "current_ms": 9.0,
                    "verdict": "regression",
                }
            ],
            "stages": [],
            "memory": [],
        },
    )
    gate = decide(document, RULES, 0.0)
    kinds = [(b["kind"], b["name"]) for b in gate["blockers"]]
    assert kinds == [
        ("failed_test", "tests/integration/test_query_api.py::test_a"),
        ("failed_page", "orders"),
        ("budget", "seed"),
        ("regression", "q GET /r p95 1.00 -> 9.00 ms"),
    ]
    assert gate["decision"] == "not_ready"


def test_infra_errors_interrupts_and_empty_runs_block() -> None:
    error = {"phase": "deploy", "component": "postgres", "message": "port in use"}
    assert decide(_document(infra_error=error), RULES, 0)["blockers"][0]["kind"] == "infra_error"
    stopped = decide(_document(outcome="interrupted"), RULES, 0)
    assert [b["kind"] for b in stopped["blockers"]] == ["interrupted"]
    empty = decide(_document(tests={"total": 0}, modules={}), RULES, 0)
    assert [b["kind"] for b in empty["blockers"]] == ["no_tests"]
    assert empty["score"] is None and empty["decision"] == "not_ready"


def test_without_categories_the_score_is_the_pass_rate() -> None:
    modules = {"t.py": _counts(10, failed=1)}
    gate = decide(_document(modules=modules), [], 50.0)
    assert gate["score"] == 90.0
    assert [c["name"] for c in gate["categories"]] == ["other"]
