"""Contracts for the HTML report's tests and benchmark: a real 1.0 contract of this suite, and
the same run given the sections schema 2.0 adds (docs/contract.md), with real HDR histograms.

`SUITE_CONTRACT` is the contract of a real `pytest --sandbox tests/integration` run (schema 1.0,
167 routes, 2 load scenarios, 23 pages). `schema_2` adds what a 2.0 run records: each route's
histogram, encoded with hdrh from latencies drawn around the route's own percentiles (and the
row's figures recomputed from it, as the plugin computes them), memory series, load intervals,
budgets with kind and spec, a comparison, the gate, the modules and the shards it merged.
"""

from __future__ import annotations

import copy
import json
import math
import random
import struct
import zlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pytest_stonks_sandbox._measure.histograms import (
    HIGHEST_US,
    LOWEST_US,
    SIGNIFICANT_FIGURES,
    latency_summary,
    new_histogram,
    record_us,
)

SUITE_CONTRACT = Path(__file__).parent / "data" / "suite-contract-1.0.json"
MIB = 1024 * 1024


def suite_contract() -> dict[str, Any]:
    """The real 1.0 contract of this suite's run."""
    document: dict[str, Any] = json.loads(SUITE_CONTRACT.read_text(encoding="utf-8"))
    return document


def png(width: int, height: int, noise: bool = False, seed: int = 1) -> bytes:
    """A valid RGB PNG: a gradient (compresses to a few KiB) or noise (does not compress)."""
    rng = random.Random(seed)
    rows = b"".join(
        b"\x00"
        + bytes(
            rng.randrange(256) if noise else (x * 255 // width + c * 60) % 256
            for x in range(width)
            for c in range(3)
        )
        for _ in range(height)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _latencies(rng: random.Random, count: int, p50_ms: float, p95_ms: float) -> list[int]:
    """`count` log-normal latencies (µs) whose median and p95 are near the given ones."""
    median = max(p50_ms, 0.05) * 1000
    sigma = max(math.log(max(p95_ms, p50_ms) / max(p50_ms, 0.05)) / 1.645, 0.05)
    return [int(rng.lognormvariate(math.log(median), sigma)) for _ in range(count)]


def _encoded(values: list[int]) -> tuple[str, int, dict[str, float]]:
    histogram = new_histogram()
    total = sum(record_us(histogram, v) for v in values)
    return histogram.encode().decode("ascii"), total, latency_summary(histogram, total)


def _endpoints(document: dict[str, Any], rng: random.Random, per_route: int | None) -> None:
    for index, row in enumerate(document["endpoints"]):
        count = per_route or max(int(row["count"]), 1)
        values = _latencies(rng, count, row["p50_ms"], row["p95_ms"])
        encoded, total, figures = _encoded(values)
        row.update(figures, count=len(values), sum_us=total, histogram=encoded)
        row["expected_errors"] = 1 if index % 40 == 7 else 0
    document["requests_total"] = sum(row["count"] for row in document["endpoints"])
    document["histogram_encoding"] = {
        "format": "hdrhistogram-v2-compressed-base64", "unit": "us", "lowest": LOWEST_US,
        "highest": HIGHEST_US, "significant_figures": SIGNIFICANT_FIGURES,
    }  # fmt: skip


def _memory(document: dict[str, Any], start: float, rng: random.Random) -> None:
    duration = float(document["duration_s"])
    for stats in document["memory"].values():
        points = 120
        peak = int(stats["peak_bytes"])
        series = [
            [round(start + duration * i / (points - 1), 3),
             int(peak * (0.6 + 0.4 * min(1.0, i / 40)) * (0.97 + 0.03 * rng.random()))]
            for i in range(points)
        ]  # fmt: skip
        series[-1][1] = peak
        stats.update(
            measure="pss", source="process", series=series, samples=points,
            peak_bytes=max(b for _, b in series), last_bytes=series[-1][1],
        )  # fmt: skip


def _load(document: dict[str, Any], start: float, rng: random.Random) -> None:
    for offset, scenario in enumerate(document["load"]):
        duration = float(scenario["duration_s"])
        values = _latencies(rng, int(scenario["requests"]), scenario["p50_ms"], scenario["p95_ms"])
        encoded, total, figures = _encoded(values)
        slices = 20
        interval = round(duration / slices, 3)
        intervals = []
        for i in range(slices):
            part = values[i * len(values) // slices : (i + 1) * len(values) // slices]
            *_, part_figures = _encoded(part)
            intervals.append({
                "t_s": round(i * interval, 3), "requests": len(part), "errors": 0,
                "throughput_rps": round(len(part) / interval, 1),
                "p50_ms": part_figures["p50_ms"], "p95_ms": part_figures["p95_ms"],
                "max_ms": part_figures["max_ms"],
            })  # fmt: skip
        scenario.update(
            figures, started_at=round(start + 8 + offset, 3), sum_us=total, histogram=encoded,
            interval_s=interval, intervals=intervals,
        )  # fmt: skip


def _budgets(document: dict[str, Any]) -> None:
    kinds = {"seed": "stage", "api_validation": "stage", "pipeline": "stage"}
    for budget in document["budgets"]:
        budget["kind"] = kinds.get(budget["name"], "load")
        budget["spec"] = f"< {budget['limit']:g} {budget['unit']}"
    route = document["endpoints"][0]
    document["budgets"] += [
        {"name": f"{route['service']} {route['method']} {route['route']} p95", "kind": "route",
         "spec": "p95 < 1ms", "limit": 1.0, "actual": route["p95_ms"], "unit": "ms",
         "breached": route["p95_ms"] >= 1.0,
         "measured": f"p95 of {route['count']} requests (merged histogram)"},
        {"name": "memory postgres peak", "kind": "memory", "spec": "peak < 256MiB",
         "limit": 256.0, "actual": document["memory"]["postgres"]["peak_bytes"] / MIB,
         "unit": "MiB", "breached": False, "measured": "peak PSS of 120 samples"},
    ]  # fmt: skip


def _comparison(document: dict[str, Any]) -> None:
    rows = document["endpoints"]
    verdicts = ("regression", "improvement", "unchanged", "inconclusive")
    routes = []
    for index, verdict in enumerate(verdicts):
        row = rows[-1 - index]
        factor = {"regression": 0.5, "improvement": 1.6}.get(verdict, 1.0)
        baseline = round(row["p95_ms"] * factor, 3)
        routes.append({
            "service": row["service"], "method": row["method"], "route": row["route"],
            "metric": "p95", "baseline_ms": baseline, "current_ms": row["p95_ms"],
            "change": round(row["p95_ms"] / baseline - 1, 3), "baseline_count": row["count"],
            "current_count": row["count"], "verdict": verdict,
        })  # fmt: skip
    document["comparison"] = {
        "baseline": {"path": "baseline/inttest-results.json", "run_id": "1130101010-abcdef",
                     "started_at": "2026-11-30T10:10:10.000+00:00"},
        "tolerance": 0.25, "floor_ms": 2.0, "min_samples": 30, "routes": routes,
        "stages": [{"stage": name, "baseline_s": round(stage["seconds"] * 0.9, 3),
                    "current_s": stage["seconds"], "change": 0.111, "verdict": "unchanged"}
                   for name, stage in document["stages"].items()],
        "memory": [{"component": name, "baseline_bytes": stats["peak_bytes"] * 0.98,
                    "current_bytes": stats["peak_bytes"], "change": 0.02, "verdict": "unchanged"}
                   for name, stats in document["memory"].items()],
        "regressions": 1, "improvements": 1, "inconclusive": 1,
    }  # fmt: skip


MODULES = {
    "tests/integration/test_query_api.py": ("api", 25),
    "tests/integration/test_resilience.py": ("reliability", 12),
    "tests/integration/test_load_scenarios.py": ("performance", 2),
    "tests/integration/test_error_handling.py": ("security", 20),
}


def _gate_and_modules(document: dict[str, Any]) -> None:
    document["modules"] = {
        module: {"total": n, "passed": n - (module.endswith("resilience.py")), "failed":
                 int(module.endswith("resilience.py")), "errors": 0, "skipped": 0,
                 "xfailed": 0, "xpassed": 0}
        for module, (_, n) in MODULES.items()
    }  # fmt: skip
    categories = []
    for module, (category, _) in MODULES.items():
        counts = document["modules"][module]
        categories.append({
            "name": category, "weight": 25, "modules": [module], "tests": counts["total"],
            "passed": counts["passed"], "score": round(100 * counts["passed"] / counts["total"], 1),
        })  # fmt: skip
    breached = [b for b in document["budgets"] if b["breached"]]
    document["gate"] = {
        "decision": "not_ready",
        "score": round(sum(c["score"] for c in categories) / len(categories), 1),
        "threshold": 70.0,
        "blockers": [
            {"kind": "failed_test", "name": document["failures"][0]["nodeid"],
             "detail": document["failures"][0]["message"]},
            *({"kind": "budget", "name": b["name"], "detail": f"{b['actual']} >= {b['limit']}"}
              for b in breached),
            {"kind": "regression", "name": "p95 " + document["comparison"]["routes"][0]["route"],
             "detail": "p95 +100% over the baseline"},
        ],
        "categories": categories,
    }  # fmt: skip


def _evidence(document: dict[str, Any], directory: Path) -> None:
    """A failed test with logs, two failed pages (a small and a large screenshot), a bundle."""
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "query-api.log"
    log.write_text("INFO started\nERROR the database went away\n", encoding="utf-8")
    bundle = directory / "bundle.tar.gz"
    bundle.write_bytes(b"\x1f\x8b")
    document["failures"] = [{
        "nodeid": "tests/integration/test_resilience.py::test_postgres_restart",
        "when": "call", "message": "AssertionError: 503 != 200\n  while PostgreSQL restarted",
        "logs": {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "omitted_lines": 3,
                 "lines": [{"component": "query-api", "line": '{"msg":"request","status":503}'}],
                 "full_logs": str(log)},
    }]  # fmt: skip
    document["artifacts"] = {"bundle": str(bundle)}
    document["tests"]["failed"] = 1
    document["tests"]["passed"] -= 1
    document["outcome"], document["exit_code"] = "failed", 1
    shots = {"small": png(160, 100), "large": png(320, 280, noise=True)}
    for page, (name, data) in zip(document["pages"][:2], shots.items(), strict=True):
        page_dir = directory / "pages" / page["page"]
        page_dir.mkdir(parents=True, exist_ok=True)
        (page_dir / "screenshot.png").write_bytes(data)
        (page_dir / "console.log").write_text(f"{name} console\n", encoding="utf-8")
        page["status"] = "failed"
        page["problems"] = [f"console error: the {name} page broke"]
        page["artifacts"] = {
            "screenshot": str(page_dir / "screenshot.png"),
            "console": str(page_dir / "console.log"),
        }


def schema_2(
    document: Mapping[str, Any],
    evidence_dir: Path | None = None,
    seed: int = 11,
    per_route: int | None = None,
) -> dict[str, Any]:
    """`document` (a 1.0 contract) with every section schema 2.0 adds, as docs/contract.md has
    them; with `evidence_dir`, also failures, logs and page screenshots written there; with
    `per_route`, that many requests in every route's histogram instead of the run's count."""
    result = copy.deepcopy(dict(document))
    rng = random.Random(seed)
    start = datetime.fromisoformat(result["started_at"]).timestamp()
    result["schema_version"] = "2.0"
    _endpoints(result, rng, per_route)
    _memory(result, start, rng)
    _load(result, start, rng)
    _budgets(result)
    if evidence_dir is not None:
        _evidence(result, evidence_dir)
    elif not result["failures"]:
        result["failures"] = [{"nodeid": "tests/integration/test_resilience.py::test_restart",
                               "when": "call", "message": "AssertionError"}]  # fmt: skip
    _comparison(result)
    _gate_and_modules(result)
    result["merged_from"] = [
        {"run_id": f"{result['run_id']}-{i}", "started_at": result["started_at"],
         "outcome": "passed", "path": f"shard-{i}/inttest-results.json"}
        for i in (1, 2)
    ]  # fmt: skip
    return result


def scaled(document: Mapping[str, Any], routes: int) -> dict[str, Any]:
    """A copy of `document` with its endpoint rows repeated (renamed) up to `routes` rows."""
    result = copy.deepcopy(dict(document))
    rows = result["endpoints"]
    result["endpoints"] = [
        {**rows[i % len(rows)], "route": f"{rows[i % len(rows)]['route']}/v{i // len(rows)}"}
        if i >= len(rows) else rows[i]
        for i in range(routes)
    ]  # fmt: skip
    return result
