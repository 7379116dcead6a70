"""`python -m pytest_stonks_sandbox.fallback PATH EXIT_CODE MESSAGE`: a contract for a run that
never reached the sandbox session (e.g. pytest refused its options), so CI always finds one."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pytest_stonks_sandbox.report import RunFacts, build_report, environment, write_report
from pytest_stonks_sandbox.stages import StageClock


def main(argv: list[str]) -> int:
    if len(argv) != 3 or not argv[1].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    path, exit_code, message = Path(argv[0]), int(argv[1]), argv[2]
    now = time.time()
    facts = RunFacts(
        run_id="none",
        backend="local",
        namespace="",
        image_tag="",
        started_at=now,
        finished_at=now,
        exit_code=exit_code,
        infra_error={"phase": "pipeline", "component": "pytest", "message": message},
        stages=StageClock().snapshot(),
        environment=environment(0),
    )
    write_report(path, build_report(facts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
