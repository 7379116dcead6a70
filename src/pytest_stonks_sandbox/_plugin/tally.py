"""Counting test outcomes the way pytest does, and keeping each failure's short message."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

import pytest

Phase = Literal["setup", "call", "teardown", "collect"]
#: Marks (in `user_properties`) a test that uses the sandbox: its time is API validation.
SANDBOX_PROPERTY = ("stonks_sandbox", "api_validation")


class Tally:
    """One outcome per test (plus an error for a failing teardown) and the failures' messages."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.modules: dict[str, Counter[str]] = {}  # the same counters per test module
        self.failures: list[dict[str, Any]] = []  # nodeid, when, message (+ logs at the end)
        self.sandbox_seconds = 0.0  # setup, call and teardown of the tests that use the sandbox
        self.sandbox_tests = 0

    def add(
        self,
        nodeid: str,
        when: Phase,
        outcome: str,
        xfail: bool,
        message: str,
        *,
        seconds: float = 0.0,
        sandbox: bool = False,
    ) -> None:
        """Count one phase report: `outcome` is passed, failed or skipped, as pytest reports it.

        `sandbox`: the test uses the sandbox; its `seconds` count as API validation.
        """
        if sandbox:
            self.sandbox_seconds += seconds
            self.sandbox_tests += when == "call"
        if when == "collect":
            if outcome == "failed":
                self._count(nodeid, "errors")
                self._fail(nodeid, when, message)
            return
        if when == "call":
            counted = ("xpassed" if outcome == "passed" else "xfailed") if xfail else outcome
        elif outcome == "failed":
            counted = "errors"
        elif outcome == "skipped":
            counted = "xfailed" if xfail else "skipped"
        else:
            return
        self._count(nodeid, counted)
        if when != "teardown":
            self._count(nodeid, "total")
        if outcome == "failed":
            self._fail(nodeid, when, message)

    def _count(self, nodeid: str, counter: str) -> None:
        self.counts[counter] += 1
        module = nodeid.split("::", 1)[0]
        self.modules.setdefault(module, Counter())[counter] += 1

    def _fail(self, nodeid: str, when: str, message: str) -> None:
        self.failures.append({"nodeid": nodeid, "when": when, "message": message})

    @property
    def failed(self) -> int:
        """Failed tests and errors together."""
        return self.counts["failed"] + self.counts["errors"]

    @property
    def collect_errors(self) -> bool:
        """True when a test module could not be collected."""
        return any(failure["when"] == "collect" for failure in self.failures)


def add_report(tally: Tally, report: pytest.TestReport | pytest.CollectReport) -> None:
    """Count one pytest report into `tally`."""
    message = failure_message(report) if report.failed else ""
    if isinstance(report, pytest.CollectReport):
        tally.add(report.nodeid, "collect", report.outcome, False, message)
        return
    tally.add(
        report.nodeid, report.when, report.outcome, hasattr(report, "wasxfail"), message,
        seconds=report.duration, sandbox=SANDBOX_PROPERTY in report.user_properties,
    )  # fmt: skip


def failure_message(report: Any) -> str:
    """The short failure message: the crash line of the traceback, else the first lines."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)[:2000]
    return str(report.longrepr)[:2000]
