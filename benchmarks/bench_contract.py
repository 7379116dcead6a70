"""Size of this suite's contract, and the cost of merging shard contracts and comparing runs.

Run: python benchmarks/bench_contract.py [--contract inttest-results.json] [--shards 4] [--runs 7]

The contract is one written by `pytest --sandbox tests/integration` (run that first). Its
requests are dealt round-robin into `--shards` shard contracts (each route's histogram split by
recorded value), which `merge` joins again; the merged endpoints must equal the original's.
Targets: contract at most 1 MB; merging four shards at most 0.2 s; comparing at most 0.2 s.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from pytest_stonks_sandbox._analysis.compare import compare
from pytest_stonks_sandbox._analysis.merge import merge
from pytest_stonks_sandbox._measure.histograms import (
    decode_histogram,
    encode_histogram,
    new_histogram,
)


def _split(document: dict[str, Any], shards: int) -> list[dict[str, Any]]:
    """`shards` contracts whose requests together are the document's (round-robin by value)."""
    parts = [copy.deepcopy(document) for _ in range(shards)]
    for index, row in enumerate(document["endpoints"]):
        histograms = [new_histogram() for _ in range(shards)]
        turn = 0
        for item in decode_histogram(row["histogram"]).get_recorded_iterator():
            for _ in range(item.count_at_value_iterated_to):
                histograms[turn % shards].record_value(item.value_iterated_to)
                turn += 1
        for part, histogram in zip(parts, histograms, strict=True):
            shard_row = part["endpoints"][index]
            shard_row["histogram"] = encode_histogram(histogram)
            shard_row["errors"] = shard_row["expected_errors"] = 0
            shard_row["sum_us"] = int(histogram.get_mean_value() * histogram.get_total_count())
    for part in parts:
        part["endpoints"] = [row for row in part["endpoints"] if decode_histogram(
            row["histogram"]).get_total_count()]  # fmt: skip
    return parts


def _median_ms(function: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contract", type=Path, default=Path("inttest-results.json"))
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not args.contract.is_file():
        print(f"{args.contract}: no contract; run `pytest --sandbox tests/integration` first")
        return 2
    document = json.loads(args.contract.read_text(encoding="utf-8"))
    size = args.contract.stat().st_size
    routes = len(document["endpoints"])
    print(f"contract: {size / 1e6:.3f} MB, {routes} routes, {document['requests_total']} requests"
          f" (target at most 1 MB)")  # fmt: skip
    shards = [(f"shard{i}.json", part) for i, part in enumerate(_split(document, args.shards))]
    merged = merge(shards)
    counts = {(r["service"], r["method"], r["route"]): r["count"] for r in merged["endpoints"]}
    original = {(r["service"], r["method"], r["route"]): r["count"] for r in document["endpoints"]}
    assert counts == original, "the merge lost or invented requests"
    merge_ms = _median_ms(lambda: merge(shards), args.runs)
    print(f"merge of {args.shards} shards: median {merge_ms:.1f} ms over {args.runs} runs "
          f"(target at most 200 ms)")  # fmt: skip
    compare_ms = _median_ms(lambda: compare(document, document), args.runs)
    print(f"compare with a baseline: median {compare_ms:.1f} ms (target at most 200 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
