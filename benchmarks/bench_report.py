"""Render time and size of the HTML report of a contract of this suite's size.

Run: python benchmarks/bench_report.py [--contract PATH] [--routes 150] [--per-route N] [--runs 9]

Without --contract the document is the real contract of a `pytest --sandbox tests/integration`
run kept in tests/plugin/data (schema 1.0, 167 routes), given the sections of schema 2.0 with
real hdrh histograms of each route's request count (or of --per-route requests each: wider
histograms cost more to decode; tests/plugin/report_documents.py), and cut or repeated to
--routes rows. Prints the first render in the process (template compiled, Chart.js
read), the median of --runs renders after it, the median of writing the file with its assets
(screenshots embedded), and the sizes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "plugin"))

from report_documents import scaled, schema_2, suite_contract

from pytest_stonks_sandbox._contract.reader import read_contract
from pytest_stonks_sandbox._report.files import write_html
from pytest_stonks_sandbox._report.render import render_html


def _document(
    contract: Path | None, routes: int, per_route: int | None, evidence: Path
) -> dict[str, Any]:
    if contract is not None:
        document = read_contract(contract)
    else:
        document = schema_2(suite_contract(), evidence, per_route=per_route)
    if routes:
        document = scaled(document, routes) if routes > len(document["endpoints"]) else {
            **document, "endpoints": document["endpoints"][:routes]}  # fmt: skip
    return document


def _seconds(action: Any) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main(contract: Path | None, routes: int, per_route: int | None, runs: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        document = _document(contract, routes, per_route, Path(tmp) / "evidence")
        requests = sum(int(row.get("count", 0)) for row in document["endpoints"])
        first = _seconds(lambda: render_html(document))
        renders = [_seconds(lambda: render_html(document)) for _ in range(runs)]
        out = Path(tmp) / "inttest-report.html"
        writes = [_seconds(lambda: write_html(document, out, Path(tmp))) for _ in range(runs)]
        html_bytes = out.stat().st_size
    contract_bytes = len(json.dumps(document, indent=2))
    median = statistics.median(renders)
    print(
        f"contract: schema {document['schema_version']}, {len(document['endpoints'])} routes, "
        f"{requests} requests, {contract_bytes / 1024:.0f} KiB as JSON"
    )
    print(f"render_html, first in the process: {first * 1000:7.1f} ms")
    print(f"render_html, median of {runs}:        {median * 1000:7.1f} ms  (target <= 500 ms)")
    print(f"write_html (assets + file), median: {statistics.median(writes) * 1000:7.1f} ms")
    print(f"report size: {html_bytes / 1024:.0f} KiB (Chart.js inlined: about 205 KiB of it)")
    return 0 if max(first, median) <= 0.5 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contract", type=Path, help="a contract (default: the suite's, as 2.0)")
    parser.add_argument("--routes", type=int, default=150, help="rows (0: as in the contract)")
    parser.add_argument("--per-route", type=int, help="requests per route (default: the run's)")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    raise SystemExit(main(args.contract, args.routes, args.per_route, args.runs))
