"""`python -m pytest_stonks_sandbox COMMAND ...`: the plugin's tools outside a pytest run.

fallback PATH EXIT_CODE MESSAGE   write the contract of a run that never reached the sandbox
options                           print the option table (the README's) made from OPTIONS
report CONTRACT [-o REPORT.html]  the HTML report of a contract (default: inttest-report.html
                                  beside it); exit 2 when the file is not a contract
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run one command; 2 and the usage text on a bad command line."""
    if len(argv) == 4 and argv[0] == "fallback" and argv[2].isdigit():
        from pytest_stonks_sandbox._contract.builder import write_report
        from pytest_stonks_sandbox._contract.fallback import fallback_report

        write_report(Path(argv[1]), fallback_report(int(argv[2]), argv[3]))
        return 0
    if argv[:1] == ["report"]:
        return _report(argv[1:])
    if argv == ["options"]:
        from pytest_stonks_sandbox._settings.options import markdown_table

        print(markdown_table())
        return 0
    print(__doc__, file=sys.stderr)
    return 2


def _report(argv: list[str]) -> int:
    import argparse

    from pytest_stonks_sandbox._report.files import ReportError, report_contract

    parser = argparse.ArgumentParser(
        prog="python -m pytest_stonks_sandbox report",
        description="Write the self-contained HTML report of a results contract.",
    )
    parser.add_argument("contract", type=Path, help="the results contract (inttest-results.json)")
    parser.add_argument(
        "-o", "--output", type=Path, help="the HTML file (default inttest-report.html beside it)"
    )
    args = parser.parse_args(argv)  # a bad command line exits 2 with the usage
    try:
        written = report_contract(args.contract, args.output)
    except ReportError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"report: cannot write the report: {exc}", file=sys.stderr)
        return 2
    print(f"report: {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
