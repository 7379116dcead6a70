"""Merge the contracts of the shards of one run into one contract, exactly.

- Requests: each route's histograms are added (percentiles of the merged histogram), counts,
  errors and latency sums add up; load scenarios and page checks are listed together.
- Tests: counters and per-module counters add up; failures are listed together.
- Stages: the worst status; seconds and each deploy component's readiness of the slowest shard
  (shards run side by side, so the slowest is the run's wall time).
- Memory: per component the highest peak, the last figure of the shard that ended last, samples
  added, the series joined in time order and bounded again.
- Budgets are evaluated again on the merged figures (run-wide stage budgets: the worst shard;
  API validation: the shards' summed test time); the gate is decided again with the categories
  the first shard recorded; a comparison is not carried over (compare the merged contract).
- The run ended as its worst shard: infra_error > interrupted > failed > passed.
- Failure bundles stay each shard's: `artifacts.bundle` is the one shard's bundle when only one
  kept one, else null, and `artifacts.shard_bundles` lists every shard's (failures keep their
  own `logs`, which point at their shard's bundle).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_stonks_sandbox._analysis.gate import decide, rules_of
from pytest_stonks_sandbox._contract.builder import (
    EXIT_PASSED,
    SCHEMA_VERSION,
    STAGES,
    TEST_COUNTERS,
    outcome,
)
from pytest_stonks_sandbox._measure.budgets import evaluate_declared
from pytest_stonks_sandbox._measure.histograms import (
    HISTOGRAM_ENCODING,
    RouteKey,
    decode_histogram,
    endpoint_row,
)
from pytest_stonks_sandbox._measure.memory import SERIES_POINTS, downsample
from pytest_stonks_sandbox._settings.budgetspec import parse_budgets

STATUS_ORDER = ("not_run", "skipped", "kept", "passed", "interrupted", "failed")


class MergeError(ValueError):
    """The contracts cannot be merged exactly; the message names the file and why."""


def _check(shards: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    if not shards:
        raise MergeError("nothing to merge: give the contracts of the shards")
    for path, document in shards:
        if str(document.get("schema_version", "")).split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            raise MergeError(
                f"{path}: schema {document.get('schema_version')!r} keeps no histograms, so it "
                f"cannot be merged exactly; merge contracts of schema {SCHEMA_VERSION}"
            )
    backends = {document["backend"] for _, document in shards}
    if len(backends) > 1:
        raise MergeError(f"the shards of one run share a backend; these have {sorted(backends)}")


def _sum_counters(tables: Sequence[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for table in tables:
        for key, value in table.items():
            total[key] = total.get(key, 0) + int(value)
    return total


def _modules(documents: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    merged: dict[str, list[Mapping[str, int]]] = {}
    for document in documents:
        for module, counts in (document.get("modules") or {}).items():
            merged.setdefault(module, []).append(counts)
    return {module: _sum_counters(counts) for module, counts in sorted(merged.items())}


def _stages(documents: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    merged = {}
    for name in STAGES:
        stages = [d["stages"][name] for d in documents if name in d["stages"]]
        status = max((s["status"] for s in stages), key=STATUS_ORDER.index, default="not_run")
        seconds = [float(s["seconds"]) for s in stages if s.get("seconds") is not None]
        stage: dict[str, Any] = {
            "status": status,
            "seconds": max(seconds) if seconds else None,
            "detail": f"the slowest of {len(documents)} shards",
        }
        components: dict[str, float] = {}
        for s in stages:
            for component, ready in (s.get("components") or {}).items():
                components[component] = max(components.get(component, 0.0), float(ready))
        if components:
            stage["components"] = components
        merged[name] = stage
    return merged


def _endpoints(documents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[RouteKey, list[Any]] = {}
    for document in documents:
        for row in document["endpoints"]:
            key = RouteKey(row["service"], row["method"], row["route"])
            histogram = decode_histogram(row["histogram"])
            entry = merged.get(key)
            if entry is None:
                merged[key] = [histogram, 0, 0, 0]
                entry = merged[key]
            else:
                entry[0].add(histogram)
            entry[1] += int(row["errors"])
            entry[2] += int(row.get("expected_errors", 0))
            entry[3] += int(row["sum_us"])
    return [endpoint_row(key, *merged[key]) for key in sorted(merged)]


def _memory(documents: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for document in sorted(documents, key=lambda d: str(d["finished_at"])):
        for component, stats in document["memory"].items():
            entry = merged.setdefault(
                component,
                {"peak_bytes": 0, "last_bytes": 0, "samples": 0,
                 "measure": stats.get("measure", "rss"), "source": stats.get("source", "process"),
                 "series": []},
            )  # fmt: skip
            entry["peak_bytes"] = max(entry["peak_bytes"], int(stats["peak_bytes"]))
            entry["last_bytes"] = int(stats["last_bytes"])  # the shard that ended last wins
            entry["samples"] += int(stats["samples"])
            for key in ("measure", "source"):
                if entry[key] != stats.get(key, entry[key]):
                    entry[key] = "mixed"
            entry["series"] += stats.get("series", [])
    for entry in merged.values():
        entry["series"] = downsample(sorted(entry["series"]), SERIES_POINTS)
    return dict(sorted(merged.items()))


def _budgets(
    documents: Sequence[Mapping[str, Any]],
    endpoints: Sequence[Mapping[str, Any]],
    memory: Mapping[str, Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Run-wide rows: the worst shard (API validation: the sum); declared rows: evaluated again."""
    rows: dict[str, dict[str, Any]] = {}
    declared: dict[str, str] = {}
    for document in documents:
        for row in document.get("budgets", []):
            if row.get("kind") in ("route", "memory"):
                target = str(row["name"]).rsplit(" ", 1)[0]
                declared.setdefault(target, str(row["spec"]))
                if row["spec"] not in declared[target].split(", "):
                    declared[target] += f", {row['spec']}"
                continue
            kept = rows.get(row["name"])
            if kept is None:
                rows[row["name"]] = dict(row)
            elif row["actual"] is not None:
                if row["name"] == "api_validation":
                    kept["actual"] = (kept["actual"] or 0.0) + float(row["actual"])
                    kept["measured"] = "the summed durations of the shards' tests that use it"
                elif kept["actual"] is None or row["actual"] > kept["actual"]:
                    kept["actual"], kept["measured"] = row["actual"], row.get("measured", "")
    for row in rows.values():
        row["breached"] = row["actual"] is not None and row["actual"] >= row["limit"]
    if declared:
        specs = parse_budgets(declared, "the shards' budgets")
        return [*rows.values(), *evaluate_declared(specs, endpoints, memory)]
    return list(rows.values())


def _worst_exit(documents: Sequence[Mapping[str, Any]]) -> int:
    codes = [int(d["exit_code"]) for d in documents]
    return max(codes) if codes else EXIT_PASSED


def merge(shards: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The merged contract of `(path, contract)` pairs of one run's shards."""
    _check(shards)
    documents = [document for _, document in shards]
    first = documents[0]
    run_ids = {d["run_id"] for d in documents}
    infra = next((d["infra_error"] for d in documents if d.get("infra_error")), None)
    interrupted = any(d["outcome"] == "interrupted" for d in documents)
    code = _worst_exit(documents)
    started = min(str(d["started_at"]) for d in documents)
    finished = max(str(d["finished_at"]) for d in documents)
    endpoints = _endpoints(documents)
    memory = _memory(documents)
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run_id": first["run_id"] if len(run_ids) == 1 else f"merged-{first['run_id']}",
        "backend": first["backend"],
        "namespace": first["namespace"] if len({d["namespace"] for d in documents}) == 1 else "",
        "image_tag": first["image_tag"],
        "started_at": started,
        "finished_at": finished,
        "duration_s": max(float(d["duration_s"]) for d in documents),
        "exit_code": code,
        "outcome": outcome(code, infra, interrupted),
        "infra_error": infra,
        "kept": None,
        "tests": {k: sum(int(d["tests"].get(k, 0)) for d in documents) for k in TEST_COUNTERS},
        "modules": _modules(documents),
        "failures": [f for d in documents for f in d["failures"]],
        "stages": _stages(documents),
        "endpoints": endpoints,
        "histogram_encoding": dict(HISTOGRAM_ENCODING),
        "requests_total": sum(int(row["count"]) for row in endpoints),
        "memory": memory,
        "seed": next((d["seed"] for d in documents if d.get("seed")), None),
        "load": [row for d in documents for row in d["load"]],
        "pages": [page for d in documents for page in d.get("pages") or []],
        "budgets": _budgets(documents, endpoints, memory),
        "comparison": None,
        "environment": {**first.get("environment", {}), "shards": len(documents)},
        "artifacts": _artifacts(documents),
        "merged_from": [
            {
                "path": path,
                "run_id": d["run_id"],
                "started_at": d["started_at"],
                "outcome": d["outcome"],
            }
            for path, d in shards
        ],
    }
    gate = first.get("gate") or {}
    document["gate"] = decide(document, rules_of(gate), float(gate.get("threshold", 70.0)))
    return document


def _artifacts(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    bundles = [b for d in documents if (b := (d.get("artifacts") or {}).get("bundle"))]
    return {"bundle": bundles[0] if len(bundles) == 1 else None, "shard_bundles": bundles}
