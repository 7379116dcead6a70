"""httpx transports that time every request into a :class:`LatencyRecorder`.

A request is timed from the moment it is handed to the inner transport until
its response body has been read to the end or the response is closed, which
httpx does for every non-streamed request and which ``client.stream(...)``
does on exit. A response whose body the transport already holds in memory
(``httpx.ByteStream``, e.g. from ``httpx.MockTransport``) is recorded at once.
A streamed response that is never closed is never recorded. Each request gets the running
test's ``traceparent`` header (:mod:`requestid`), so the services' logs name the test.

Errors are 5xx responses, transport errors raised by the inner transport
(recorded, then re-raised) and errors raised while the body is read. A request
cancelled before its response arrives is not recorded.

Requests are keyed by ``RouteKey(service, method, route template)``; templates
come from optional :class:`RouteTemplates` (settable later, e.g. once the
service's ``/openapi.json`` has been fetched), otherwise from
:func:`normalise_path`. Template lookups are cached per (method, path) in a
bounded LRU, so the overhead per request stays in the microseconds.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType

import httpx

from pytest_stonks_sandbox._measure.histograms import LatencyRecorder, RouteKey
from pytest_stonks_sandbox._measure.requestid import stamp
from pytest_stonks_sandbox._measure.routes import RouteTemplates, normalise_path

ROUTE_CACHE_SIZE = 4096


class _Pending:
    """One request in flight: records itself exactly once."""

    __slots__ = ("done", "key", "recorder", "start_ns", "status_error")

    def __init__(self, recorder: LatencyRecorder, key: RouteKey, start_ns: int, status: int):
        self.recorder = recorder
        self.key = key
        self.start_ns = start_ns
        self.status_error = status >= 500
        self.done = False

    def finish(self, failed: bool = False) -> None:
        if not self.done:
            self.done = True
            elapsed = time.perf_counter_ns() - self.start_ns
            self.recorder.record(self.key, elapsed, failed or self.status_error)


class _TimedAsyncStream(httpx.AsyncByteStream):
    """Wraps a response body; finishes the pending record at its end or on close."""

    def __init__(self, inner: httpx.AsyncByteStream, pending: _Pending) -> None:
        self._inner = inner
        self._pending = pending

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except Exception:
            self._pending.finish(failed=True)
            raise
        self._pending.finish()

    async def aclose(self) -> None:
        self._pending.finish()
        await self._inner.aclose()


class _TimedSyncStream(httpx.SyncByteStream):
    """Synchronous twin of :class:`_TimedAsyncStream`."""

    def __init__(self, inner: httpx.SyncByteStream, pending: _Pending) -> None:
        self._inner = inner
        self._pending = pending

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._inner
        except Exception:
            self._pending.finish(failed=True)
            raise
        self._pending.finish()

    def close(self) -> None:
        self._pending.finish()
        self._inner.close()


class _Timing:
    """State shared by the async and sync transports: recorder, service, route cache."""

    def __init__(
        self, recorder: LatencyRecorder, service: str, routes: RouteTemplates | None
    ) -> None:
        self.recorder = recorder
        self._service = service
        self.routes = routes

    @property
    def service(self) -> str:
        """The service every request of this transport is counted under."""
        return self._service

    @property
    def routes(self) -> RouteTemplates | None:
        """Route templates in use; setting them clears the lookup cache."""
        return self._routes

    @routes.setter
    def routes(self, routes: RouteTemplates | None) -> None:
        self._routes = routes
        self._key_for = functools.lru_cache(maxsize=ROUTE_CACHE_SIZE)(self._make_key)

    def _make_key(self, method: str, path: str) -> RouteKey:
        route = normalise_path(path) if self._routes is None else self._routes.match(path)
        return RouteKey(self._service, method, route)

    def _pending(self, request: httpx.Request, start_ns: int, status: int) -> _Pending:
        return _Pending(
            self.recorder, self._key_for(request.method, request.url.path), start_ns, status
        )

    def _record_failure(self, request: httpx.Request, start_ns: int) -> None:
        self._pending(request, start_ns, 0).finish(failed=True)


class TimingTransport(_Timing, httpx.AsyncBaseTransport):
    """An async transport that times each request of ``inner`` into ``recorder``."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        recorder: LatencyRecorder,
        service: str,
        routes: RouteTemplates | None = None,
    ) -> None:
        super().__init__(recorder, service, routes)
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        stamp(request)
        start = time.perf_counter_ns()
        try:
            response = await self.inner.handle_async_request(request)
        except Exception:
            self._record_failure(request, start)
            raise
        pending = self._pending(request, start, response.status_code)
        if isinstance(response.stream, httpx.ByteStream):
            pending.finish()
        else:
            assert isinstance(response.stream, httpx.AsyncByteStream)
            response.stream = _TimedAsyncStream(response.stream, pending)
        return response

    async def __aenter__(self) -> TimingTransport:
        await self.inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.inner.__aexit__(exc_type, exc_value, traceback)

    async def aclose(self) -> None:
        await self.inner.aclose()


class TimingSyncTransport(_Timing, httpx.BaseTransport):
    """A sync transport that times each request of ``inner`` into ``recorder``."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        recorder: LatencyRecorder,
        service: str,
        routes: RouteTemplates | None = None,
    ) -> None:
        super().__init__(recorder, service, routes)
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        stamp(request)
        start = time.perf_counter_ns()
        try:
            response = self.inner.handle_request(request)
        except Exception:
            self._record_failure(request, start)
            raise
        pending = self._pending(request, start, response.status_code)
        if isinstance(response.stream, httpx.ByteStream):
            pending.finish()
        else:
            assert isinstance(response.stream, httpx.SyncByteStream)
            response.stream = _TimedSyncStream(response.stream, pending)
        return response

    def __enter__(self) -> TimingSyncTransport:
        self.inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.inner.__exit__(exc_type, exc_value, traceback)

    def close(self) -> None:
        self.inner.close()


def _wrap_all(
    client: httpx.AsyncClient | httpx.Client,
    wrap: Callable[[httpx.AsyncBaseTransport | httpx.BaseTransport], object],
) -> None:
    """Replace the client's default and mounted transports by ``wrap(transport)``.

    httpx has no public way to swap a live client's transport, so this sets its
    ``_transport`` and ``_mounts`` attributes (stable since httpx 0.18).
    """
    current = client._transport
    if isinstance(current, _Timing):
        raise ValueError("this client is already instrumented")
    client._transport = wrap(current)  # type: ignore[assignment]
    client._mounts = {  # type: ignore[assignment]
        pattern: None if transport is None else wrap(transport)
        for pattern, transport in client._mounts.items()
    }


def instrument(
    client: httpx.AsyncClient,
    recorder: LatencyRecorder,
    service: str,
    routes: RouteTemplates | None = None,
) -> httpx.AsyncClient:
    """Time every request of an existing async ``client``; returns the same client."""

    def wrap(transport: httpx.AsyncBaseTransport | httpx.BaseTransport) -> TimingTransport:
        assert isinstance(transport, httpx.AsyncBaseTransport)
        return TimingTransport(transport, recorder, service, routes)

    _wrap_all(client, wrap)
    return client


def instrument_sync(
    client: httpx.Client,
    recorder: LatencyRecorder,
    service: str,
    routes: RouteTemplates | None = None,
) -> httpx.Client:
    """Time every request of an existing sync ``client``; returns the same client."""

    def wrap(transport: httpx.AsyncBaseTransport | httpx.BaseTransport) -> TimingSyncTransport:
        assert isinstance(transport, httpx.BaseTransport)
        return TimingSyncTransport(transport, recorder, service, routes)

    _wrap_all(client, wrap)
    return client
