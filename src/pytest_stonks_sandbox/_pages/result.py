"""What checking one page found: the calls it made, its errors, fields, accessibility, evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING_IMPACTS = frozenset({"critical", "serious"})


@dataclass
class CallRecord:
    """One API request the page made through the gateway."""

    service: str
    method: str
    route: str
    url: str
    status: int
    ms: float
    nonempty: bool | None = None  # the JSON body had data; None when it was not JSON

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "method": self.method,
            "route": self.route,
            "status": self.status,
            "ms": round(self.ms, 3),
            "nonempty": self.nonempty,
        }


@dataclass
class PageResult:
    """The outcome of one page check; `problems` empty means it passed."""

    name: str
    path: str
    url: str
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    navigation: dict[str, float | None] = field(default_factory=dict)
    calls: list[CallRecord] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)  # the console, for the evidence

    @property
    def passed(self) -> bool:
        return not self.problems

    def accessibility(self) -> dict[str, Any]:
        """Violations counted by impact, and each violation with whether the manifest allows it."""
        counts = dict.fromkeys(IMPACTS, 0)
        for violation in self.violations:
            impact = str(violation.get("impact") or "minor")
            counts[impact if impact in counts else "minor"] += 1
        return {**counts, "violations": self.violations}

    def to_dict(self) -> dict[str, Any]:
        """The page's entry in the contract's `pages` section."""
        return {
            "page": self.name,
            "path": self.path,
            "url": self.url,
            "status": "passed" if self.passed else "failed",
            "seconds": round(self.seconds, 4),
            "problems": list(self.problems),
            "navigation": dict(self.navigation),
            "calls": [call.to_dict() for call in self.calls],
            "console_errors": list(self.console_errors),
            "page_errors": list(self.page_errors),
            "failed_requests": list(self.failed_requests),
            "fields": list(self.fields),
            "accessibility": self.accessibility(),
            "artifacts": dict(self.artifacts) or None,
        }
