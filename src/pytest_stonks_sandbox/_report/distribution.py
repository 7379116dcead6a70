"""A route's latency distribution for the report: bucketed counts and a percentile curve.

From the encoded HDR histogram when the contract has one (schema 2.0), else from the
percentiles a 1.0 contract kept (a curve of four points, no buckets).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hdrh.histogram import HdrHistogram

#: Percentiles of the curve drawn from a histogram.
CURVE_PERCENTILES = (0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 100.0)
#: Log-spaced buckets between the fastest and the slowest request.
BUCKETS = 24
_KEPT = (("p50_ms", 50.0), ("p95_ms", 95.0), ("p99_ms", 99.0), ("max_ms", 100.0))


def _ms(value_us: float) -> float:
    return round(value_us / 1000.0, 3)


def from_histogram(encoded: str) -> dict[str, Any]:
    """Buckets `[low_ms, high_ms, count]` and curve `[percentile, ms]` of an encoded histogram.

    Raises ValueError when the text is not an HDR histogram.
    """
    try:
        histogram = HdrHistogram.decode(encoded.encode("ascii"))
    except Exception as exc:  # hdrh raises bare errors of zlib, base64 and struct
        raise ValueError(f"not an encoded HDR histogram ({type(exc).__name__}: {exc})") from None
    recorded = _recorded(histogram) if histogram is not None else []
    if not recorded:
        return {"source": "histogram", "count": 0, "buckets": [], "curve": []}
    return {
        "source": "histogram",
        "count": histogram.get_total_count(),
        "buckets": _buckets(recorded, histogram.get_max_value()),
        "curve": _curve(histogram, recorded),
    }


def _recorded(histogram: Any) -> list[tuple[int, int]]:
    """(lowest value, count) of every non-empty slot, in value order.

    hdrh's recorded iterator costs ~15 ms a route; reading the counts array directly ~1 ms.
    """
    counts, value_of = histogram.counts, histogram.get_value_from_index
    first = histogram.get_counts_array_index(histogram.get_min_value())
    last = histogram.get_counts_array_index(histogram.get_max_value())
    return [(value_of(i), counts[i]) for i in range(first, last + 1) if counts[i]]


def _curve(histogram: Any, recorded: list[tuple[int, int]]) -> list[list[float]]:
    """The value at each percentile, as hdrh computes it (the slot's highest equivalent value)."""
    curve, running, slot = [], 0, iter(recorded)
    value = 0
    for percentile in CURVE_PERCENTILES:
        target = histogram.get_target_count_at_percentile(percentile)
        while running < target:
            value, count = next(slot)
            running += count
        value = value or recorded[0][0]
        curve.append([percentile, _ms(histogram.get_highest_equivalent_value(value))])
    return curve


def _buckets(recorded: list[tuple[int, int]], max_us: int) -> list[list[float]]:
    """Counts in log-spaced buckets from the fastest to the slowest request (at most BUCKETS,
    and no more than the histogram has distinct values)."""
    buckets = min(BUCKETS, len(recorded))
    low = max(1, recorded[0][0])
    high = max(low + 1, max_us)
    ratio = math.log(high / low) / buckets
    edges = [low * math.exp(ratio * i) for i in range(buckets + 1)]
    counts = [0] * buckets
    for value, count in recorded:
        index = int(math.log(max(value, low) / low) / ratio)
        counts[min(index, buckets - 1)] += count
    return [[_ms(edges[i]), _ms(edges[i + 1]), counts[i]] for i in range(buckets)]


def from_percentiles(row: Mapping[str, Any]) -> dict[str, Any]:
    """The curve of the percentiles a 1.0 endpoint row kept (p50, p95, p99, max)."""
    curve = [[p, float(row[key])] for key, p in _KEPT if row.get(key) is not None]
    return {"source": "percentiles", "count": row.get("count", 0), "buckets": [], "curve": curve}


def distribution(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row's distribution; a histogram that cannot be decoded falls back to percentiles."""
    encoded = row.get("histogram")
    if isinstance(encoded, str) and encoded:
        try:
            return from_histogram(encoded)
        except ValueError as exc:
            return {**from_percentiles(row), "note": str(exc)}
    return from_percentiles(row)
