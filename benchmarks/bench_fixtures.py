"""Per-test overhead of the plugin's fixtures: 200 trivial tests that use a client and `db`.

    python benchmarks/bench_fixtures.py [--runs N] [--tests N]

Each run is a whole `pytest --sandbox` of generated tests against the repository's stack, in two
variants run in alternation: every test takes `query_client` and `db` (and makes no request), or
only the session's `sandbox`. The tests stage's seconds come from the contract; the overhead per
test is their difference divided by the number of tests. Prints each run and the medians;
target: at most 5 ms per test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = {
    "query_client + db": "async def test_{n}(query_client, db):\n    assert db is not None\n",
    "sandbox only": "def test_{n}(sandbox):\n    assert sandbox.run_id\n",
}


def one_run(test_file: str, count: int, work: Path) -> float:
    """The tests stage's seconds of one run of `count` generated tests."""
    scratch = Path(tempfile.mkdtemp(prefix="fixtures-", dir=work))
    tests = scratch / "test_generated.py"
    tests.write_text("\n\n".join(test_file.format(n=n) for n in range(count)), encoding="utf-8")
    results = scratch / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STONKS_SANDBOX")}
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "--sandbox", f"--results={results}", "-q",
            "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
            "-p", "no:cacheprovider", str(tests),
        ],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the run failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    seconds = float(json.loads(results.read_text())["stages"]["tests"]["seconds"])
    shutil.rmtree(scratch)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tests", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.gettempdir()) / "stonks-sandbox-bench-fixtures"
    work.mkdir(exist_ok=True)
    stage: dict[str, list[float]] = {name: [] for name in VARIANTS}
    overhead: list[float] = []
    for index in range(args.runs):
        for name, test_file in VARIANTS.items():
            stage[name].append(one_run(test_file, args.tests, work))
        with_fixtures, bare = (stage[name][-1] for name in VARIANTS)
        overhead.append((with_fixtures - bare) / args.tests * 1000)
        print(
            f"run {index + 1}: tests stage {with_fixtures:.2f} s with the fixtures, "
            f"{bare:.2f} s without: {overhead[-1]:.2f} ms per test"
        )
    for name, values in stage.items():
        print(
            f"tests stage, {args.tests} tests, {name:<18} median {statistics.median(values):.2f} s"
        )
    print(
        f"fixture overhead per test  median {statistics.median(overhead):.2f} ms  "
        f"min {min(overhead):.2f} ms  max {max(overhead):.2f} ms"
    )


if __name__ == "__main__":
    main()
