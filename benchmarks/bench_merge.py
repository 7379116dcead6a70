"""Cost and exactness of merging xdist workers' latency histograms.

Run: python benchmarks/bench_merge.py [--workers 4] [--routes 100] [--per-route 250]

Each worker records ``per-route`` log-normal latencies on every route and encodes
its recorder as an xdist worker would (JSON text); the controller decodes and
merges them. The merge must equal one recorder fed every value.
"""

from __future__ import annotations

import argparse
import json
import random
import time

from pytest_stonks_sandbox._measure.histograms import LatencyRecorder, RouteKey


def _workload(workers: int, routes: int, per_route: int) -> list[list[tuple[RouteKey, int, bool]]]:
    rng = random.Random(4)
    keys = [RouteKey(f"svc{r % 4}", "GET", f"/api/r{r}/{{item_id}}") for r in range(routes)]
    return [
        [
            (key, int(rng.lognormvariate(15, 1.0)), rng.random() < 0.02)
            for key in keys
            for _ in range(per_route)
        ]
        for _ in range(workers)
    ]


def _record(samples: list[tuple[RouteKey, int, bool]], recorder: LatencyRecorder) -> None:
    for key, elapsed_ns, error in samples:
        recorder.record(key, elapsed_ns, error)


def _ms_since(start: int) -> float:
    return (time.perf_counter_ns() - start) / 1e6


def main(workers: int, routes: int, per_route: int) -> int:
    workload = _workload(workers, routes, per_route)
    recorders = [LatencyRecorder() for _ in workload]
    for samples, recorder in zip(workload, recorders, strict=True):
        _record(samples, recorder)

    start = time.perf_counter_ns()
    payloads = [json.dumps(recorder.encode()) for recorder in recorders]
    encode_ms = _ms_since(start)

    start = time.perf_counter_ns()
    merged = LatencyRecorder()
    for payload in payloads:
        merged.merge(LatencyRecorder.decode(json.loads(payload)))
    merge_ms = _ms_since(start)

    start = time.perf_counter_ns()
    rows = merged.endpoint_rows()
    rows_ms = _ms_since(start)

    reference = LatencyRecorder()
    for samples in workload:
        _record(samples, reference)
    recorded = sum(len(samples) for samples in workload)
    exact = rows == reference.endpoint_rows() and merged.encode() == reference.encode()

    print(f"{workers} workers x {routes} routes, {recorded} requests recorded")
    size_kib = sum(map(len, payloads)) / 1024
    print(f"encode (all workers, JSON):  {encode_ms:8.1f} ms, {size_kib:.0f} KiB")
    print(f"decode + merge (controller): {merge_ms:8.1f} ms")
    print(f"endpoint rows (p50/95/99):   {rows_ms:8.1f} ms for {len(rows)} rows")
    counted = merged.total_requests()
    print(f"merged count {counted} == recorded {recorded}: {counted == recorded}")
    print(f"merged == one recorder of all values (rows and encoding): {exact}")
    return 0 if exact and counted == recorded else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--routes", type=int, default=100)
    parser.add_argument("--per-route", type=int, default=250)
    args = parser.parse_args()
    raise SystemExit(main(args.workers, args.routes, args.per_route))
