"""What the report shows, prepared from a contract: plain data for the template and the charts.

A pure function of the document (and of the assets found beside it). Every section of schema 2.0
is optional: a 1.0 contract gives the same view with those parts set to None, which the page
shows as "not in this contract".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pytest_stonks_sandbox._contract.builder import TEST_COUNTERS
from pytest_stonks_sandbox._report.distribution import distribution

MIB = 1024 * 1024


@dataclass(frozen=True)
class Assets:
    """Files the contract points at, as the page can use them.

    `images`: a screenshot path of the contract -> a data URI (only those small enough);
    `sizes`: path -> bytes of the files found; `hrefs`: path -> the link the page uses.
    """

    images: Mapping[str, str] = field(default_factory=dict)
    sizes: Mapping[str, int] = field(default_factory=dict)
    hrefs: Mapping[str, str] = field(default_factory=dict)
    image_cap: int = 0

    def href(self, path: str) -> str:
        return self.hrefs.get(path, path)


def _unix(iso: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(iso)).timestamp()
    except ValueError:
        return None


def _link(assets: Assets, path: Any, label: str) -> dict[str, str] | None:
    if not path:
        return None
    return {"label": label, "path": str(path), "href": assets.href(str(path))}


def summary(document: Mapping[str, Any]) -> dict[str, Any]:
    """Which run, how it ended, its test counters."""
    tests = document.get("tests") or {}
    return {
        "run_id": document.get("run_id", "?"),
        "schema_version": str(document.get("schema_version", "?")),
        "backend": document.get("backend", ""),
        "namespace": document.get("namespace", ""),
        "image_tag": document.get("image_tag", ""),
        "started_at": document.get("started_at", ""),
        "finished_at": document.get("finished_at", ""),
        "duration_s": document.get("duration_s"),
        "exit_code": document.get("exit_code"),
        "outcome": document.get("outcome", "unknown"),
        "infra_error": document.get("infra_error"),
        "kept": document.get("kept"),
        "tests": [(name, int(tests.get(name, 0))) for name in TEST_COUNTERS],
        "requests_total": document.get("requests_total", 0),
        "environment": document.get("environment") or {},
        "merged_from": document.get("merged_from"),
    }


def timeline(document: Mapping[str, Any]) -> dict[str, Any]:
    """Floating bars `[start_s, end_s]`: the stages one after another, and inside deploy each
    component from the deploy's start to the moment it was ready."""
    labels: list[str] = []
    bars: list[list[float]] = []
    statuses: list[str] = []
    rows: list[dict[str, Any]] = []
    start = 0.0
    for name, stage in (document.get("stages") or {}).items():
        seconds = float(stage.get("seconds") or 0.0)
        status = str(stage.get("status", ""))
        labels.append(name)
        bars.append([round(start, 4), round(start + seconds, 4)])
        statuses.append(status)
        rows.append(
            {
                "name": name,
                "status": status,
                "seconds": stage.get("seconds"),
                "detail": stage.get("detail", ""),
            }
        )
        for component, ready_s in (stage.get("components") or {}).items():
            labels.append(f"{name} · {component}")
            bars.append([round(start, 4), round(start + float(ready_s), 4)])
            statuses.append("component")
        start += seconds
    return {"labels": labels, "bars": bars, "statuses": statuses, "rows": rows}


def endpoints(document: Mapping[str, Any]) -> dict[str, Any]:
    """The table's rows and, for each row by index, the latency distribution to draw."""
    rows, distributions = [], []
    has_expected = False
    sources = set()
    for row in document.get("endpoints") or []:
        dist = distribution(row)
        sources.add(dist["source"])
        distributions.append(dist)
        has_expected = has_expected or "expected_errors" in row
        rows.append(
            {
                "service": row.get("service", ""),
                "method": row.get("method", ""),
                "route": row.get("route", ""),
                "count": row.get("count", 0),
                "errors": row.get("errors", 0),
                "expected_errors": row.get("expected_errors"),
                "p50_ms": row.get("p50_ms"),
                "p95_ms": row.get("p95_ms"),
                "p99_ms": row.get("p99_ms"),
                "max_ms": row.get("max_ms"),
            }
        )
    return {
        "rows": rows,
        "distributions": distributions,
        "has_expected": has_expected,
        "from_histograms": sources == {"histogram"},
        "any_buckets": any(d["buckets"] for d in distributions),
        "encoding": document.get("histogram_encoding"),
    }


def memory(document: Mapping[str, Any], t0: float | None) -> dict[str, Any]:
    """Each component's peak/last with measure and source, and its series in MiB over time."""
    components, series = [], []
    for name, stats in (document.get("memory") or {}).items():
        points = stats.get("series")
        components.append(
            {
                "name": name,
                "peak_mib": stats.get("peak_bytes", 0) / MIB,
                "last_mib": stats.get("last_bytes", 0) / MIB,
                "samples": stats.get("samples", 0),
                "measure": stats.get("measure"),
                "source": stats.get("source"),
                "points": len(points) if points is not None else None,
            }
        )
        if points:
            origin = t0 if t0 is not None else float(points[0][0])
            series.append(
                {
                    "name": name,
                    "points": [[round(float(t) - origin, 3), round(b / MIB, 2)] for t, b in points],
                }
            )
    return {"components": components, "series": series}


def load(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each scenario's totals and its intervals over time (None when the contract has none)."""
    return [dict(entry, intervals=entry.get("intervals")) for entry in document.get("load") or []]


def _screenshot_note(size: int | None, embedded: bool, cap: int) -> str:
    if size is None:
        return "file not found"
    return "" if embedded else f"{size // 1024} KiB, over the {cap // 1024} KiB cap"


def pages(document: Mapping[str, Any], assets: Assets) -> list[dict[str, Any]]:
    """Each page check with its screenshot (a data URI, else a link) and its other artifacts."""
    shown = []
    for page in document.get("pages") or []:
        artifacts = dict(page.get("artifacts") or {})
        shot = artifacts.pop("screenshot", None)
        thumbnail = assets.images.get(shot) if shot else None
        links = [link for kind, path in artifacts.items() if (link := _link(assets, path, kind))]
        shot_link = _link(assets, shot, "screenshot")
        if shot_link is not None:
            size = assets.sizes.get(str(shot))
            shot_link["note"] = _screenshot_note(size, thumbnail is not None, assets.image_cap)
        a11y = page.get("accessibility") or {}
        shown.append(
            {
                "page": page.get("page", ""),
                "path": page.get("path", ""),
                "status": page.get("status", ""),
                "seconds": page.get("seconds"),
                "load_ms": (page.get("navigation") or {}).get("load_ms"),
                "calls": len(page.get("calls") or []),
                "problems": page.get("problems") or [],
                "a11y": {k: a11y.get(k, 0) for k in ("critical", "serious", "moderate", "minor")},
                "thumbnail": thumbnail,
                "screenshot": shot_link,
                "links": links,
            }
        )
    return shown


def _logs(value: Any, assets: Assets) -> dict[str, Any] | None:
    """A failure's `logs`: its server-side lines (`component | line`), how many were left out,
    its trace id and a link to the full logs (the bundle); None when the contract has none."""
    if not isinstance(value, Mapping):
        return None
    entries = value.get("lines") or []
    return {
        "trace_id": value.get("trace_id", ""),
        "lines": [f"{e.get('component', '')} | {e.get('line', '')}" for e in entries],
        "omitted": int(value.get("omitted_lines") or 0),
        "full": _link(assets, value.get("full_logs"), "full logs"),
    }


def failures(document: Mapping[str, Any], assets: Assets) -> list[dict[str, Any]]:
    """Each failure with its message and its server-side log lines (when it has any)."""
    return [
        {
            "nodeid": failure.get("nodeid", ""),
            "when": failure.get("when", ""),
            "message": failure.get("message", ""),
            "logs": _logs(failure.get("logs"), assets),
        }
        for failure in document.get("failures") or []
    ]


def gate(document: Mapping[str, Any]) -> dict[str, Any] | None:
    """The promotion decision, its blockers and category scores (None: not in the contract)."""
    section = document.get("gate")
    if not section:
        return None
    categories = section.get("categories") or []
    return {
        **section,
        "blockers": section.get("blockers") or [],
        "categories": categories,
        "chart": {
            "labels": [c.get("name", "") for c in categories],
            "scores": [c.get("score") for c in categories],
            "threshold": section.get("threshold"),
        },
    }


def prepare(document: Mapping[str, Any], assets: Assets | None = None) -> dict[str, Any]:
    """The whole view of a contract."""
    assets = assets or Assets()
    t0 = _unix(document.get("started_at"))
    artifacts = document.get("artifacts") or {}
    return {
        "summary": summary(document),
        "timeline": timeline(document),
        "endpoints": endpoints(document),
        "memory": memory(document, t0),
        "load": load(document),
        "pages": pages(document, assets),
        "failures": failures(document, assets),
        "bundle": _link(assets, artifacts.get("bundle"), "artifact bundle"),
        "budgets": list(document.get("budgets") or []),
        "budget_kinds": any("kind" in b for b in document.get("budgets") or []),
        "comparison": document.get("comparison"),
        "gate": gate(document),
        "modules": document.get("modules"),
        "seed": document.get("seed"),
        "forwards": [
            {"component": name, **counts}
            for name, counts in (document.get("forwards") or {}).items()
        ],
    }
