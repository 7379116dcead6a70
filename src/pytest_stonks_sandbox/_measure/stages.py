"""Wall-clock timing of named stages (the pipeline's: deploy, seed, tests, frontend, teardown)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any


class StageClock:
    """Records when each stage started and ended, with its status and details."""

    def __init__(self, names: Iterable[str]) -> None:
        self._started: dict[str, float] = {}
        self._stages: dict[str, dict[str, Any]] = {
            name: {"status": "not_run", "seconds": None} for name in names
        }
        self.created = time.monotonic()

    def begin(self, name: str, at: float | None = None) -> None:
        """Open a stage (begun at `time.monotonic()` value `at`, default now)."""
        self._started[name] = time.monotonic() if at is None else at

    def end(
        self,
        name: str,
        status: str = "passed",
        detail: str = "",
        components: Mapping[str, float] | None = None,
        at: float | None = None,
    ) -> float:
        """Close a stage (at `time.monotonic()` value `at`, default now); returns its seconds
        (0 if it never began)."""
        began = self._started.pop(name, None)
        ended = time.monotonic() if at is None else at
        seconds = max(ended - began, 0.0) if began is not None else 0.0
        stage: dict[str, Any] = {"status": status, "seconds": round(seconds, 4)}
        if detail:
            stage["detail"] = detail
        if components:
            stage["components"] = dict(components)
        self._stages[name] = stage
        return seconds

    def discard(self, name: str) -> None:
        """A stage begun and called off: as if it had never begun."""
        self._started.pop(name, None)

    def skip(self, name: str, detail: str) -> None:
        self._stages[name] = {"status": "skipped", "seconds": 0.0, "detail": detail}

    def is_open(self, name: str) -> bool:
        return name in self._started

    def seconds(self) -> dict[str, float]:
        """Seconds of each finished stage, plus 'pipeline': the whole run so far."""
        result = {
            name: float(stage["seconds"])
            for name, stage in self._stages.items()
            if stage["seconds"] is not None and stage["status"] != "skipped"
        }
        result["pipeline"] = time.monotonic() - self.created
        return result

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {name: dict(stage) for name, stage in self._stages.items()}
