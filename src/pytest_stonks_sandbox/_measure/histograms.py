"""Per-route latency histograms (HDR) that merge exactly across processes.

Latencies are recorded in whole microseconds into ``hdrh`` histograms covering
1 µs .. 60 s with 3 significant digits (quantisation error at most 0.1 %).
Values above 60 s are clamped to 60 s. The exact sum of the recorded values is
kept beside each histogram so that the mean is exact and merges exactly too.

Errors recorded while the recorder is *faulted* (a test has injected a fault into the
sandbox) are counted as expected errors, apart from the route's errors.
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
#: How the contract encodes a histogram (`encode_histogram`), for readers of the contract.
HISTOGRAM_ENCODING = {
    "format": "hdrhistogram-v2-compressed-base64",
    "unit": "us",
    "lowest": LOWEST_US,
    "highest": HIGHEST_US,
    "significant_figures": SIGNIFICANT_FIGURES,
}


def new_histogram() -> Any:
    """Return an empty ``HdrHistogram`` with this module's range and precision."""
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)


def record_us(histogram: Any, value_us: int) -> int:
    """Record one value (µs) into ``histogram``, clamped to the range; return the value used."""
    clamped = min(max(value_us, 0), HIGHEST_US)
    histogram.record_value(clamped)
    return clamped


def encode_histogram(histogram: Any) -> str:
    """The histogram as text: HdrHistogram V2 compressed encoding, base64."""
    return str(histogram.encode().decode("ascii"))


def decode_histogram(text: str) -> Any:
    """The histogram that `encode_histogram` wrote; ValueError on text that is not one."""
    try:
        return HdrHistogram.decode(text.encode("ascii"))
    except Exception as exc:  # hdrh raises assorted errors on junk
        raise ValueError(f"not an encoded HDR histogram: {text[:40]!r}") from exc


def percentile_ms(histogram: Any, percentile: float) -> float:
    """The value at `percentile` (0..100) of a histogram of microseconds, in ms (unrounded)."""
    return float(histogram.get_value_at_percentile(percentile)) / 1000.0


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
    """One route's histogram, error counts and exact latency sum."""

    __slots__ = ("errors", "expected_errors", "histogram", "sum_us")

    def __init__(self, histogram: Any) -> None:
        self.histogram = histogram
        self.errors = 0
        self.expected_errors = 0
        self.sum_us = 0


class LatencyRecorder:
    """Thread-safe map of ``RouteKey`` to an HDR histogram plus an error count.

    Every request's latency is recorded, including error responses; errors
    (5xx and transport errors, as decided by the caller) are also counted apart,
    as expected errors while :attr:`faulted` is set.
    """

    def __init__(self) -> None:
        self._entries: dict[RouteKey, _Entry] = {}
        self._lock = threading.Lock()
        #: Set while a test has a fault injected: its errors are expected ones.
        self.faulted = False

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
                if self.faulted:
                    entry.expected_errors += 1
                else:
                    entry.errors += 1

    def merge(self, other: LatencyRecorder) -> None:
        """Add every route of ``other`` into this recorder (lossless)."""
        if other is self:
            raise ValueError("cannot merge a recorder into itself")
        first, second = sorted((self._lock, other._lock), key=id)  # one order: no deadlock
        with first, second:
            for key, entry in other._entries.items():
                self._add(key, entry.histogram, entry.errors, entry.expected_errors, entry.sum_us)

    def _add(self, key: RouteKey, histogram: Any, errors: int, expected: int, sum_us: int) -> None:
        entry = self._entry(key)
        entry.histogram.add(histogram)
        entry.errors += errors
        entry.expected_errors += expected
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
                    "expected_errors": entry.expected_errors,
                    "sum_us": entry.sum_us,
                    "histogram": encode_histogram(entry.histogram),
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
            histogram = decode_histogram(route["histogram"])
            errors, expected = int(route["errors"]), int(route.get("expected_errors", 0))
            recorder._add(key, histogram, errors, expected, int(route["sum_us"]))
        return recorder

    def total_requests(self) -> int:
        """Number of requests recorded over all routes."""
        with self._lock:
            return sum(e.histogram.get_total_count() for e in self._entries.values())

    def endpoint_rows(self) -> list[dict[str, Any]]:
        """One row per route, sorted by (service, method, route), latencies in ms, with the
        route's encoded histogram and exact latency sum (the contract's endpoints)."""
        with self._lock:
            entries = sorted(self._entries.items())
            return [
                endpoint_row(key, e.histogram, e.errors, e.expected_errors, e.sum_us)
                for key, e in entries
            ]


def endpoint_row(
    key: RouteKey, histogram: Any, errors: int, expected: int, sum_us: int
) -> dict[str, Any]:
    """One route as the contract keeps it (also how a merge rebuilds a row)."""
    return {
        "service": key.service,
        "method": key.method,
        "route": key.route,
        "count": histogram.get_total_count(),
        "errors": errors,
        "expected_errors": expected,
        **latency_summary(histogram, sum_us),
        "sum_us": sum_us,
        "histogram": encode_histogram(histogram),
    }
