"""What a run learned, gathered as it goes, and turned into the contract's facts at the end."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from pytest_stonks_sandbox._contract.builder import RunFacts, environment
from pytest_stonks_sandbox._core.errors import SandboxError
from pytest_stonks_sandbox._measure.histograms import HISTOGRAM_ENCODING, LatencyRecorder
from pytest_stonks_sandbox._measure.memory import MemorySampler
from pytest_stonks_sandbox._measure.stages import StageClock
from pytest_stonks_sandbox._plugin.tally import Tally
from pytest_stonks_sandbox._seeding.seeder import SeedSummary


@dataclass
class RunRecord:
    """Measurements and outcomes of one run (merged from xdist workers in the controller)."""

    started_at: float = field(default_factory=time.time)
    latency: LatencyRecorder = field(default_factory=LatencyRecorder)
    tally: Tally = field(default_factory=Tally)
    load: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    seed: SeedSummary | None = None
    memory: MemorySampler | None = None
    kept: dict[str, str] | None = None
    infra_error: SandboxError | None = None
    artifacts: dict[str, Any] | None = None  # the failure bundle (evidence.EvidencePlugin)
    forwards: dict[str, dict[str, Any]] | None = None  # port-forward counters per component
    workers: int = 0

    def facts(
        self,
        identity: tuple[str, str, str, str],
        clock: StageClock,
        code: int,
        interrupted: bool,
    ) -> RunFacts:
        """The contract's input; `identity` is (run id, backend, namespace, image tag)."""
        run_id, backend, namespace, image_tag = identity
        error = self.infra_error
        return RunFacts(
            run_id=run_id,
            backend=backend,
            namespace=namespace,
            image_tag=image_tag,
            started_at=self.started_at,
            finished_at=time.time(),
            exit_code=code,
            interrupted=interrupted,
            infra_error=(
                {
                    "phase": error.phase,
                    "component": error.component,
                    "message": error.message,
                    "hint": error.hint,
                }
                if error
                else None
            ),
            kept=self.kept,
            tests=dict(self.tally.counts),
            modules=self.tally.modules,
            failures=self.tally.failures,
            stages=clock.snapshot(),
            endpoints=self.latency.endpoint_rows(),
            histogram_encoding=HISTOGRAM_ENCODING,
            requests_total=self.latency.total_requests(),
            memory=self.memory.summary() if self.memory else {},
            seed=self.seed.to_dict() if self.seed else None,
            load=self.load,
            pages=self.pages,
            environment=environment(self.workers),
            artifacts=self.artifacts,
            forwards=self.forwards,
        )
