"""The terminal summary of a run, made from the results document (a pure function)."""

from __future__ import annotations

from collections.abc import Mapping
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


def summary_lines(document: Mapping[str, Any], results_path: str) -> list[str]:
    """Stage table, slowest routes, memory, budgets, and where the JSON went."""
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
    for name, stats in document["memory"].items():
        lines.append(
            f"memory {name:<18} peak {stats['peak_bytes'] / MIB:7.1f} MiB  "
            f"last {stats['last_bytes'] / MIB:7.1f} MiB  ({stats['samples']} samples)"
        )
    for load in document["load"]:
        lines.append(
            f"load {load['name']}: {load['requests']} requests, "
            f"error rate {load['error_rate']:.2%}, p95 {load['p95_ms']:.1f} ms"
        )
    lines += _page_lines(document.get("pages") or [])
    for budget in document["budgets"]:
        actual = "not measured" if budget["actual"] is None else f"{budget['actual']:.2f}"
        verdict = "BREACHED" if budget["breached"] else "ok"
        measured = f" ({budget['measured']})" if budget.get("measured") else ""
        lines.append(
            f"budget {budget['name']:<16} < {budget['limit']:g} {budget['unit']}: "
            f"{actual} {verdict}{measured}"
        )
    if document.get("kept"):
        lines.append(
            f"sandbox kept: state {document['kept']['state_file']}; attach with "
            "--sandbox-reuse, remove with --sandbox-gc"
        )
    lines.append(f"results: {results_path}")
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
