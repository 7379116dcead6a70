"""`python -m pytest_stonks_sandbox COMMAND ...`: the plugin's tools outside a pytest run.

  report CONTRACT.json [-o OUT.html] the HTML report of a contract (default: inttest-report.html
                                     beside it)
  merge A.json B.json ... -o OUT     merge the contracts of one run's shards, exactly
  compare BASELINE.json RUN.json     compare a run with a baseline (exit 1 on a regression)
  fallback PATH EXIT_CODE MESSAGE    write the contract of a run that never reached the sandbox
  options                            print the option table (the README's) made from OPTIONS
  in-cluster --image-tag TAG ... [-- PYTEST_ARGS]
                                     run the pipeline in the runner Job (k8s/runner) in a new
                                     namespace, stream its output, copy its results back, exit
                                     with the Job's 0/1/2 (what run_pipeline.sh --in-cluster runs)

Exit codes: 0 done, 1 (compare) a regression was found, 2 bad usage or an unreadable contract.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


class CommandError(Exception):
    """A command cannot run: the message says what was wrong (exit 2)."""


def _read(path: str) -> dict[str, Any]:
    from pytest_stonks_sandbox._contract.reader import ContractError, read_contract

    try:
        return read_contract(Path(path))
    except ContractError as exc:
        raise CommandError(str(exc)) from None


def _report(args: argparse.Namespace) -> int:
    from pytest_stonks_sandbox._report.files import DEFAULT_HTML, write_html

    contract = Path(args.contract)
    out = Path(args.output) if args.output else contract.parent / DEFAULT_HTML
    try:
        written = write_html(_read(args.contract), out, contract.parent)
    except OSError as exc:
        raise CommandError(f"cannot write the report: {exc}") from None
    print(f"report: {written}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from pytest_stonks_sandbox._analysis.merge import MergeError, merge
    from pytest_stonks_sandbox._contract.builder import write_report

    try:
        merged = merge([(path, _read(path)) for path in args.contracts])
    except MergeError as exc:
        raise CommandError(str(exc)) from None
    write_report(Path(args.output), merged)
    tests = merged["tests"]
    print(
        f"merged {len(args.contracts)} contracts into {args.output}: {tests['total']} tests, "
        f"{merged['requests_total']} requests, outcome {merged['outcome']}, "
        f"gate {merged['gate']['decision']}"
    )
    return 0


def _compare(args: argparse.Namespace) -> int:
    from pytest_stonks_sandbox._analysis.compare import Thresholds, compare
    from pytest_stonks_sandbox._contract.summary import comparison_lines

    thresholds = Thresholds(args.tolerance, args.floor_ms, args.min_samples)
    section = compare(_read(args.current), _read(args.baseline), thresholds, args.baseline)
    for line in comparison_lines(section, every=True):
        print(line)
    return 1 if section["regressions"] else 0


def _fallback(args: argparse.Namespace) -> int:
    from pytest_stonks_sandbox._analysis.gate import decide
    from pytest_stonks_sandbox._contract.builder import write_report
    from pytest_stonks_sandbox._contract.fallback import fallback_report

    document = fallback_report(args.exit_code, args.message)
    document["gate"] = decide(document, [], 70.0)
    write_report(Path(args.path), document)
    return 0


def _options(args: argparse.Namespace) -> int:
    from pytest_stonks_sandbox._settings.options import markdown_table

    print(markdown_table())
    return 0


def _in_cluster(args: argparse.Namespace) -> int:
    from pytest_stonks_sandbox._backends.kubernetes.runnerjob import (
        Launch,
        RunnerJob,
        default_runner_image,
    )
    from pytest_stonks_sandbox._settings.config import (
        NAMESPACE_PATTERN,
        RUN_ID_PATTERN,
        new_run_id,
    )

    run_id = args.run_id or new_run_id()
    if not RUN_ID_PATTERN.match(run_id):
        raise CommandError(f"--run-id {run_id!r}: use 1-30 lowercase letters, digits, dashes")
    namespace = args.namespace or f"stonks-inttest-{run_id}"
    if not NAMESPACE_PATTERN.match(namespace):
        raise CommandError(f"--namespace {namespace!r} is not a valid Kubernetes namespace name")
    if args.start_timeout <= 0:
        raise CommandError(f"--start-timeout must be positive seconds, not {args.start_timeout}")
    results = Path(args.results).resolve()
    launch = Launch(
        image_tag=args.image_tag,
        run_id=run_id,
        namespace=namespace,
        runner_image=args.runner_image or default_runner_image(args.image_tag, args.image_registry),
        manifest=Path(args.manifest),
        results=results,
        html=Path(args.html).resolve() if args.html else results.parent / "inttest-report.html",
        image_registry=args.image_registry,
        pytest_args=tuple(args.pytest_args),
        start_timeout_s=args.start_timeout,
    )

    def say(line: str) -> None:
        print(line, flush=True)

    return RunnerJob(launch, say=say).run()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_stonks_sandbox",
        description="The plugin's tools outside a pytest run.",
        epilog="exit codes: 0 done, 1 (compare) regressions found, 2 bad usage or contract",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace], int], text: str) -> Any:
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(run=run)
        return sub

    report = command("report", _report, "write the self-contained HTML report of a contract")
    report.add_argument("contract", metavar="CONTRACT.json")
    report.add_argument("-o", "--output", metavar="OUT.html", help="default inttest-report.html")
    merge = command("merge", _merge, "merge the contracts of one run's shards, exactly")
    merge.add_argument("contracts", nargs="+", metavar="CONTRACT.json")
    merge.add_argument("-o", "--output", required=True, metavar="OUT.json")
    compare = command("compare", _compare, "compare a run with a baseline contract")
    compare.add_argument("baseline", metavar="BASELINE.json")
    compare.add_argument("current", metavar="RUN.json")
    compare.add_argument("--tolerance", type=float, default=0.25, help="relative (0.25)")
    compare.add_argument("--floor-ms", type=float, default=2.0, help="ignored below (2.0)")
    compare.add_argument("--min-samples", type=int, default=30, help="else inconclusive (30)")
    fallback = command("fallback", _fallback, "write the contract of a run that never started")
    fallback.add_argument("path")
    fallback.add_argument("exit_code", type=int)
    fallback.add_argument("message")
    command("options", _options, "print the option table made from OPTIONS")
    job = command("in-cluster", _in_cluster, "run the pipeline in the runner Job (k8s/runner)")
    job.add_argument("--image-tag", required=True, help="tag of the service images")
    job.add_argument("--namespace", default="", help="default stonks-inttest-<run-id>")
    job.add_argument("--run-id", default="", help="default time + random")
    job.add_argument("--runner-image", default="",
                     help="default [REGISTRY/]stonks-oracle/inttest-runner:TAG")  # fmt: skip
    job.add_argument("--image-registry", default="", help="registry of the service images")
    job.add_argument("--manifest", default="k8s/runner/runner.yaml", help="the runner's YAML")
    job.add_argument("--results", default="inttest-results.json")
    job.add_argument("--html", default="", help="default inttest-report.html beside the results")
    job.add_argument("--start-timeout", type=float, default=300.0,
                     help="seconds until the runner pod runs (300)")  # fmt: skip
    job.set_defaults(pytest_args=[])
    return parser


def main(argv: list[str]) -> int:
    """Run one command; 2 and a message on a bad command line or an unreadable contract."""
    passed_on: list[str] = []
    if argv[:1] == ["in-cluster"] and "--" in argv:  # the rest goes to pytest in the pod
        cut = argv.index("--")
        argv, passed_on = argv[:cut], argv[cut + 1 :]
    args = _parser().parse_args(argv)
    if passed_on:
        args.pytest_args = passed_on
    try:
        return int(args.run(args))
    except CommandError as exc:
        print(f"python -m pytest_stonks_sandbox {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
