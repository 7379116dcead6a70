"""The promotion gate (references 001 and 004): ready or not, why, and the category scores.

Blockers: an infrastructure error, an interrupted run, no test run, each failed test and page,
each breached budget and each regression. Each category's score is the pass rate of the tests of
its modules (skipped tests do not count); the run's score is their mean weighted by the
categories' weights, over the categories that ran tests. Tests outside every category form
"other" (weight 0: its failures still block). Ready means no blocker and a score at least the
threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Any

from pytest_stonks_sandbox._analysis.compare import regressions

OTHER = "other"


@dataclass(frozen=True)
class CategoryRule:
    """A category as the gate needs it: its weight and the globs of its test modules."""

    name: str
    weight: float
    modules: tuple[str, ...]


def _category_of(module: str, rules: Sequence[CategoryRule]) -> str:
    for rule in rules:
        if any(fnmatch(module, pattern) for pattern in rule.modules):
            return rule.name
    return OTHER


def category_scores(
    modules: Mapping[str, Mapping[str, int]], rules: Sequence[CategoryRule]
) -> list[dict[str, Any]]:
    """One entry per category (and "other" when tests fall outside them): tests, passed, score."""
    totals: dict[str, list[int]] = {}
    for module, counts in modules.items():
        ran = int(counts.get("total", 0)) - int(counts.get("skipped", 0))
        bad = min(int(counts.get("failed", 0)) + int(counts.get("errors", 0)), max(ran, 0))
        entry = totals.setdefault(_category_of(module, rules), [0, 0])
        entry[0] += max(ran, 0)
        entry[1] += max(ran, 0) - bad
    weights = {rule.name: rule for rule in rules}
    entries = []
    for name in [*weights, OTHER]:
        if name not in weights and name not in totals:
            continue
        ran, passed = totals.get(name, [0, 0])
        rule = weights.get(name)
        entries.append(
            {
                "name": name,
                "weight": rule.weight if rule else 0.0,
                "modules": list(rule.modules) if rule else [],
                "tests": ran,
                "passed": passed,
                "score": round(100 * passed / ran, 2) if ran else None,
            }
        )
    return entries


def overall_score(categories: Sequence[Mapping[str, Any]]) -> float | None:
    """The weighted mean of the scored categories; with no weighted category, the pass rate."""
    weighted = [c for c in categories if c["score"] is not None and c["weight"] > 0]
    if weighted:
        total = sum(float(c["weight"]) for c in weighted)
        return round(sum(float(c["score"]) * float(c["weight"]) for c in weighted) / total, 2)
    ran = sum(c["tests"] for c in categories)
    return round(100 * sum(c["passed"] for c in categories) / ran, 2) if ran else None


def blockers(document: Mapping[str, Any]) -> list[dict[str, str]]:
    """What stops promotion, from a contract's outcome, failures, pages, budgets and comparison."""
    found: list[dict[str, str]] = []

    def block(kind: str, name: str, detail: str = "") -> None:
        found.append({"kind": kind, "name": name, "detail": detail[:500]})

    error = document.get("infra_error")
    if error:
        block("infra_error", str(error.get("component", "")), str(error.get("message", "")))
    if document.get("outcome") == "interrupted":
        block("interrupted", "run", "the run was stopped before it ended")
    if not document.get("tests", {}).get("total") and not error:
        block("no_tests", "run", "no test ran")
    failed_pages = {p["page"]: p for p in document.get("pages") or [] if p["status"] != "passed"}
    for failure in document.get("failures", []):
        module, _, name = str(failure["nodeid"]).rpartition("::")
        if name in failed_pages and not module.endswith(".py"):
            continue  # a page item: reported as its page below
        block("failed_test", str(failure["nodeid"]), str(failure.get("message", "")))
    for name, page in failed_pages.items():
        block("failed_page", name, "; ".join(page.get("problems", []))[:500])
    for budget in document.get("budgets", []):
        if budget.get("breached"):
            block(
                "budget", str(budget["name"]),
                f"{budget['actual']:g} {budget['unit']}, limit {budget['spec']}"
                if "spec" in budget else f"{budget['actual']:g}, limit {budget['limit']:g}",
            )  # fmt: skip
    for line in regressions(document.get("comparison")):
        block("regression", line)
    return found


def decide(
    document: Mapping[str, Any], rules: Sequence[CategoryRule], threshold: float
) -> dict[str, Any]:
    """The contract's `gate` section."""
    categories = category_scores(document.get("modules") or {}, rules)
    score = overall_score(categories)
    found = blockers(document)
    ready = not found and score is not None and score >= threshold
    return {
        "decision": "ready" if ready else "not_ready",
        "score": score,
        "threshold": threshold,
        "blockers": found,
        "categories": categories,
    }


def rules_of(gate: Mapping[str, Any] | None) -> list[CategoryRule]:
    """The category rules a contract's gate section recorded (how a merge decides again)."""
    if not gate:
        return []
    return [
        CategoryRule(str(c["name"]), float(c["weight"]), tuple(c["modules"]))
        for c in gate.get("categories", [])
        if c["name"] != OTHER
    ]
