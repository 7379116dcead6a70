"""The request id of the running test: a W3C `traceparent` whose trace id names the test.

Tests run one at a time per process (an xdist worker is a process), so the id of the test that
is running lives in one module variable, set by a pytest hook around each test and read by the
timing transports for every request (a dict lookup and a string format: well under a
microsecond). The trace id is the first 32 hex digits of SHA-256 over ``<run id> <node id>``:
the same test gets the same id in every process of a run and a new one in the next run, so log
lines of a kept sandbox reused by several runs never mix. Each request gets its own span id.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets

import httpx

HEADER = "traceparent"
#: A traceparent of version 00: trace id, span id (the services accept exactly this).
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")

_current: str | None = None
# Span ids count up from a random start, so two processes of one run rarely share one.
_spans = itertools.count(secrets.randbits(48) | 1)


def trace_id(run_id: str, nodeid: str) -> str:
    """The trace id of test `nodeid` in run `run_id` (32 lowercase hex digits)."""
    return hashlib.sha256(f"{run_id} {nodeid}".encode()).hexdigest()[:32]


def begin_test(trace: str) -> None:
    """Requests from now on carry `trace` (called as a test starts)."""
    global _current
    _current = trace


def end_test() -> None:
    """Requests from now on carry no trace (called as a test ends)."""
    global _current
    _current = None


def current_trace() -> str | None:
    """The trace id of the running test, or None between tests."""
    return _current


def traceparent(trace: str) -> str:
    """A `traceparent` value for one request of `trace`, with a fresh span id."""
    return f"00-{trace}-{next(_spans) & 0xFFFFFFFFFFFFFFFF:016x}-01"


def stamp(request: httpx.Request) -> None:
    """Give `request` the running test's traceparent (a traceparent set by the caller stays)."""
    trace = _current
    if trace is not None and HEADER not in request.headers:
        request.headers[HEADER] = traceparent(trace)
