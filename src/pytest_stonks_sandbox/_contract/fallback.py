"""The contract of a run that never reached the sandbox session (e.g. pytest refused its
options), so that CI always finds one."""

from __future__ import annotations

import time
from typing import Any

from pytest_stonks_sandbox._contract.builder import (
    RunFacts,
    build_report,
    environment,
    not_run_stages,
)


def fallback_report(exit_code: int, message: str, now: float | None = None) -> dict[str, Any]:
    """A schema-valid contract saying that pytest itself ended the run with `message`."""
    moment = time.time() if now is None else now
    facts = RunFacts(
        run_id="none",
        backend="local",
        namespace="",
        image_tag="",
        started_at=moment,
        finished_at=moment,
        exit_code=exit_code,
        infra_error={"phase": "pipeline", "component": "pytest", "message": message},
        stages=not_run_stages(),
        environment=environment(0),
    )
    return build_report(facts)
