"""The request id of the running test: derived from run id and node id, on every timed request."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pytest_stonks_sandbox._measure import requestid
from pytest_stonks_sandbox._measure.histograms import LatencyRecorder
from pytest_stonks_sandbox._measure.timing import instrument_sync


@pytest.fixture
def between_tests() -> Iterator[None]:
    """The module's current trace is this test's own (the plugin sets it); start from none."""
    saved = requestid.current_trace()
    requestid.end_test()
    yield
    if saved is not None:
        requestid.begin_test(saved)


def test_the_trace_id_names_the_test_in_its_run() -> None:
    trace = requestid.trace_id("run-1", "tests/test_a.py::test_x")
    assert len(trace) == 32 and int(trace, 16) >= 0
    assert trace == requestid.trace_id("run-1", "tests/test_a.py::test_x")
    assert trace != requestid.trace_id("run-2", "tests/test_a.py::test_x")
    assert trace != requestid.trace_id("run-1", "tests/test_a.py::test_y")


def test_each_request_gets_its_own_span() -> None:
    values = {requestid.traceparent("a" * 32) for _ in range(1000)}
    assert len(values) == 1000
    for value in values:
        assert requestid.TRACEPARENT.match(value) and value.startswith(f"00-{'a' * 32}-")


def _echo(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"traceparent": request.headers.get("traceparent")})


@pytest.mark.usefixtures("between_tests")
def test_timed_requests_carry_the_running_tests_traceparent() -> None:
    client = instrument_sync(
        httpx.Client(transport=httpx.MockTransport(_echo)), LatencyRecorder(), "svc"
    )
    assert client.get("http://svc/a").json()["traceparent"] is None  # between tests: none
    trace = requestid.trace_id("run", "test_a.py::test_one")
    requestid.begin_test(trace)
    first = client.get("http://svc/a").json()["traceparent"]
    second = client.get("http://svc/a").json()["traceparent"]
    parsed = [requestid.TRACEPARENT.match(first), requestid.TRACEPARENT.match(second)]
    assert [m.group(1) for m in parsed if m] == [trace, trace]
    assert first != second
    own = f"00-{'b' * 32}-{'c' * 16}-01"
    assert client.get("http://svc/a", headers={"traceparent": own}).json()["traceparent"] == own
    requestid.end_test()
    assert client.get("http://svc/a").json()["traceparent"] is None
