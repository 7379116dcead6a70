"""Per-route latency histograms (HDR) that merge exactly across processes.

Latencies are recorded in whole microseconds into ``hdrh`` histograms covering
1 µs .. 60 s with 3 significant digits (quantisation error at most 0.1 %).
Values above 60 s are clamped to 60 s. The exact sum of the recorded values is
kept beside each histogram so that the mean is exact and merges exactly too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 60_000_000
SIGNIFICANT_FIGURES = 3
ENCODING_VERSION = 1

_PERCENTILES = (50.0, 95.0, 99.0)


def new_histogram() -> Any:
    """Return an empty ``HdrHistogram`` with this module's range and precision."""
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)


def record_us(histogram: Any, value_us: int) -> int:
    """Record one value (µs) into ``histogram``, clamped to the range; return the value used."""
    clamped = min(max(value_us, 0), HIGHEST_US)
    histogram.record_value(clamped)
    return clamped


def _ms(value_us: float) -> float:
    return round(value_us / 1000.0, 3)


def latency_summary(histogram: Any, sum_us: int) -> dict[str, float]:
    """p50/p95/p99 and max of ``histogram``, and the exact mean from ``sum_us``, in ms."""
    count = histogram.get_total_count()
    if count == 0:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0, "mean_ms": 0.0}
    values = histogram.get_percentile_to_value_dict(list(_PERCENTILES))
    return {
        "p50_ms": _ms(values[50.0]),
        "p95_ms": _ms(values[95.0]),
        "p99_ms": _ms(values[99.0]),
        "max_ms": _ms(histogram.get_max_value()),
        "mean_ms": _ms(sum_us / count),
    }


@dataclass(frozen=True, order=True, slots=True)
class RouteKey:
    """What a request is counted under: service, HTTP method and route template."""

    service: str
    method: str
    route: str


class _Entry:
    """One route's histogram, error count and exact latency sum."""

    __slots__ = ("errors", "histogram", "sum_us")

    def __init__(self, histogram: Any, errors: int = 0, sum_us: int = 0) -> None:
        self.histogram = histogram
        self.errors = errors
        self.sum_us = sum_us


class LatencyRecorder:
    """Thread-safe map of ``RouteKey`` to an HDR histogram plus an error count.

    Every request's latency is recorded, including error responses; errors
    (5xx and transport errors, as decided by the caller) are also counted apart.
    """

    def __init__(self) -> None:
        self._entries: dict[RouteKey, _Entry] = {}
        self._lock = threading.Lock()

    def _entry(self, key: RouteKey) -> _Entry:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(new_histogram())
        return entry

    def record(self, key: RouteKey, elapsed_ns: int, error: bool) -> None:
        """Record one request of ``elapsed_ns`` nanoseconds under ``key``."""
        with self._lock:
            entry = self._entry(key)
            entry.sum_us += record_us(entry.histogram, elapsed_ns // 1000)
            if error:
                entry.errors += 1

    def merge(self, other: LatencyRecorder) -> None:
        """Add every route of ``other`` into this recorder (lossless)."""
        if other is self:
            raise ValueError("cannot merge a recorder into itself")
        first, second = sorted((self._lock, other._lock), key=id)  # one order: no deadlock
        with first, second:
            for key, entry in other._entries.items():
                self._add(key, entry.histogram, entry.errors, entry.sum_us)

    def _add(self, key: RouteKey, histogram: Any, errors: int, sum_us: int) -> None:
        entry = self._entry(key)
        entry.histogram.add(histogram)
        entry.errors += errors
        entry.sum_us += sum_us

    def encode(self) -> dict[str, Any]:
        """A JSON-safe snapshot: each route's histogram as compressed base64 text."""
        with self._lock:
            routes = [
                {
                    "service": key.service,
                    "method": key.method,
                    "route": key.route,
                    "errors": entry.errors,
                    "sum_us": entry.sum_us,
                    "histogram": entry.histogram.encode().decode("ascii"),
                }
                for key, entry in sorted(self._entries.items())
            ]
        return {"version": ENCODING_VERSION, "routes": routes}

    @classmethod
    def decode(cls, data: dict[str, Any]) -> LatencyRecorder:
        """Rebuild a recorder from :meth:`encode` output (e.g. an xdist worker's)."""
        if data.get("version") != ENCODING_VERSION:
            raise ValueError(f"unsupported latency encoding version: {data.get('version')!r}")
        recorder = cls()
        for route in data["routes"]:
            key = RouteKey(route["service"], route["method"], route["route"])
            histogram = HdrHistogram.decode(route["histogram"].encode("ascii"))
            recorder._add(key, histogram, int(route["errors"]), int(route["sum_us"]))
        return recorder

    def total_requests(self) -> int:
        """Number of requests recorded over all routes."""
        with self._lock:
            return sum(e.histogram.get_total_count() for e in self._entries.values())

    def endpoint_rows(self) -> list[dict[str, Any]]:
        """One row per route, sorted by (service, method, route), latencies in ms."""
        with self._lock:
            entries = sorted(self._entries.items())
            return [
                {
                    "service": key.service,
                    "method": key.method,
                    "route": key.route,
                    "count": entry.histogram.get_total_count(),
                    "errors": entry.errors,
                    **latency_summary(entry.histogram, entry.sum_us),
                }
                for key, entry in entries
            ]
