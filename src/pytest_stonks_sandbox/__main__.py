"""`python -m pytest_stonks_sandbox COMMAND ...`: the plugin's tools outside a pytest run.

fallback PATH EXIT_CODE MESSAGE   write the contract of a run that never reached the sandbox
options                           print the option table (the README's) made from OPTIONS
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
    if argv == ["options"]:
        from pytest_stonks_sandbox._settings.options import markdown_table

        print(markdown_table())
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
