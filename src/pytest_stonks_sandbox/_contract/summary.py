"""The terminal summary of a run, made from the results document (a pure function)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SLOWEST_ROUTES = 10
MIB = 1024 * 1024


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2f}"


def _stage_note(name: str, stage: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    if name == "deploy" and stage.get("components"):
        return ", ".join(f"{c} {s:.2f}s" for c, s in stage["components"].items())
    if name == "seed" and document.get("seed"):
        seed = document["seed"]
        return f"{seed['rows_total']} rows, {seed['objects']} objects"
    if name == "tests":
        tests = document["tests"]
        return ", ".join(
            f"{tests[k]} {k}" for k in ("passed", "failed", "errors", "skipped") if tests[k]
        )
    return str(stage.get("detail", ""))


def summary_lines(
    document: Mapping[str, Any], results_path: str, notes: Sequence[str] = ()
) -> list[str]:
    """Stage table, slowest routes, memory, budgets, where the JSON went (then `notes`, e.g.
    where the HTML report went), and last the gate's decision."""
    lines = [
        f"run {document['run_id']}  backend {document['backend']}  outcome {document['outcome']}"
        f"  exit {document['exit_code']}  {document['duration_s']:.1f} s",
    ]
    error = document.get("infra_error")
    if error:
        lines.append(
            f"infrastructure error ({error['phase']}, {error['component']}): {error['message']}"
        )
    lines.append(f"{'stage':<10} {'status':<8} {'seconds':>8}  detail")
    for name, stage in document["stages"].items():
        note = _stage_note(name, stage, document)
        lines.append(f"{name:<10} {stage['status']:<8} {_seconds(stage['seconds']):>8}  {note}")
    endpoints = document["endpoints"]
    if endpoints:
        lines.append(
            f"endpoints: {len(endpoints)} routes, {document['requests_total']} requests; "
            f"slowest by p95:"
        )
        lines.append(
            f"  {'route':<58} {'count':>6} {'err':>4} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}"
        )
        for row in sorted(endpoints, key=lambda r: r["p95_ms"], reverse=True)[:SLOWEST_ROUTES]:
            route = f"{row['service']} {row['method']} {row['route']}"[:58]
            lines.append(
                f"  {route:<58} {row['count']:>6} {row['errors']:>4} {row['p50_ms']:>7.2f} "
                f"{row['p95_ms']:>7.2f} {row['p99_ms']:>7.2f} {row['max_ms']:>7.2f}"
            )
    expected = sum(int(row.get("expected_errors", 0)) for row in endpoints)
    if expected:
        lines.append(f"endpoints: {expected} expected errors (requests while a fault was injected)")
    for name, stats in document["memory"].items():
        measure = f", {stats['measure']} from {stats['source']}" if "measure" in stats else ""
        lines.append(
            f"memory {name:<18} peak {stats['peak_bytes'] / MIB:7.1f} MiB  "
            f"last {stats['last_bytes'] / MIB:7.1f} MiB  ({stats['samples']} samples{measure})"
        )
    for name, counts in (document.get("forwards") or {}).items():
        if counts["failures"]:
            lines.append(
                f"port-forward {name}: {counts['failures']} connection(s) failed, "
                f"{counts['reconnects']} reconnect(s) of {counts['connections']} "
                f"(last error: {counts['last_error'] or 'none'})"
            )
    for load in document["load"]:
        lines.append(
            f"load {load['name']}: {load['requests']} requests, "
            f"error rate {load['error_rate']:.2%}, p95 {load['p95_ms']:.1f} ms"
        )
    lines += _page_lines(document.get("pages") or [])
    for budget in document["budgets"]:
        actual = "not measured" if budget["actual"] is None else f"{budget['actual']:.2f}"
        if budget["actual"] is not None and budget["unit"] == "bytes":
            actual = f"{budget['actual'] / MIB:.1f} MiB"
        verdict = "BREACHED" if budget["breached"] else "ok"
        measured = f" ({budget['measured']})" if budget.get("measured") else ""
        name, spec = str(budget["name"]), budget.get("spec") or f"< {budget['limit']:g}"
        if budget.get("kind") in ("route", "memory"):
            name = name.rsplit(" ", 1)[0]  # the spec names the metric
        lines.append(f"budget {name:<16} {spec}: {actual} {verdict}{measured}")
    if document.get("comparison"):
        lines += comparison_lines(document["comparison"])
    if document.get("kept"):
        lines.append(
            f"sandbox kept: state {document['kept']['state_file']}; attach with "
            "--sandbox-reuse, remove with --sandbox-gc"
        )
    lines.append(f"results: {results_path}")
    lines += notes
    if document.get("gate"):
        lines += gate_lines(document["gate"])
    return lines


def describe(entry: Mapping[str, Any]) -> str:
    """One comparison entry (a route's metric, a stage or a component's memory) in a line."""
    if "metric" in entry:
        return (
            f"{entry['service']} {entry['method']} {entry['route']} {entry['metric']} "
            f"{entry['baseline_ms']:.2f} -> {entry['current_ms']:.2f} ms"
        )
    if "stage" in entry:
        return f"stage {entry['stage']} {entry['baseline_s']:.2f} -> {entry['current_s']:.2f} s"
    return (
        f"memory {entry['component']} peak {entry['baseline_bytes'] / MIB:.1f} -> "
        f"{entry['current_bytes'] / MIB:.1f} MiB"
    )


def comparison_lines(comparison: Mapping[str, Any], every: bool = False) -> list[str]:
    """The comparison's counts, then its regressions and improvements (`every`: all entries)."""
    base = comparison["baseline"]
    lines = [
        f"baseline {base['run_id'] or base['path']}: {comparison['regressions']} regressions, "
        f"{comparison['improvements']} improvements, {comparison['inconclusive']} inconclusive "
        f"(tolerance {comparison['tolerance']:.0%}, floor {comparison['floor_ms']:g} ms, "
        f"at least {comparison['min_samples']} requests)"
    ]
    for entry in (*comparison["routes"], *comparison["stages"], *comparison["memory"]):
        if every or entry["verdict"] in ("regression", "improvement"):
            lines.append(f"  {entry['verdict']:<12} {describe(entry)}")
    return lines


def gate_lines(gate: Mapping[str, Any]) -> list[str]:
    """The blockers, the category scores and, last, the decision."""
    lines = []
    scored = [c for c in gate["categories"] if c["score"] is not None]
    if scored:
        lines.append(
            "categories: "
            + ", ".join(f"{c['name']} {c['score']:.0f}% (w {c['weight']:g})" for c in scored)
        )
    blockers = gate["blockers"]
    for blocker in blockers[:SLOWEST_ROUTES]:
        lines.append(f"  blocker {blocker['kind']}: {blocker['name']}")
    if len(blockers) > SLOWEST_ROUTES:
        lines.append(f"  ... and {len(blockers) - SLOWEST_ROUTES} more blockers")
    score = "-" if gate["score"] is None else f"{gate['score']:.1f}"
    verdict = "READY" if gate["decision"] == "ready" else "NOT READY"
    lines.append(
        f"gate: {verdict} for promotion (score {score}, threshold {gate['threshold']:g}, "
        f"{len(blockers)} blocker{'s' * (len(blockers) != 1)})"
    )
    return lines


def _page_lines(pages: list[Mapping[str, Any]]) -> list[str]:
    """One line per page: status, seconds, load time, calls, accessibility, first problem."""
    if not pages:
        return []
    failed = sum(1 for page in pages if page["status"] != "passed")
    lines = [f"pages: {len(pages)} checked in a browser, {failed} failed"]
    for page in pages:
        a11y = page["accessibility"]
        load = page["navigation"].get("load_ms")
        note = page["problems"][0] if page["problems"] else ""
        lines.append(
            f"  {page['page']:<18} {page['status']:<6} {page['seconds']:6.2f} s  "
            f"load {_seconds(None if load is None else load / 1000)} s  "
            f"{len(page['calls'])} calls  a11y {a11y['critical']} critical "
            f"{a11y['serious']} serious  {note}"[:160].rstrip()
        )
    return lines
