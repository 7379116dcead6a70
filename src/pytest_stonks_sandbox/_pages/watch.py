"""What one page does while it is checked: its requests (timed, and the API calls among them),
console messages and uncaught errors; and the problems they make."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pytest_stonks_sandbox._measure.histograms import LatencyRecorder, RouteKey
from pytest_stonks_sandbox._measure.routes import RouteTemplates, normalise_path
from pytest_stonks_sandbox._pages.manifest import PageSpec
from pytest_stonks_sandbox._pages.result import CallRecord, PageResult


@dataclass(frozen=True)
class RequestKeys:
    """How a page's request is counted: the service it reaches and its route template.

    A request under the gateway prefix counts for the service it names (an API call); any
    other request of the page (the page itself, its assets) for the frontend service.
    """

    gateway: str
    frontend: str
    routes: Mapping[str, RouteTemplates]

    def classify(self, url: str) -> tuple[str, str, bool]:
        """(service, route template, through the gateway) of a request the page made."""
        path = urlsplit(url).path or "/"
        prefix = self.gateway.split("{service}")[0]
        if path.startswith(prefix):
            service, _, rest = path[len(prefix) :].partition("/")
            return service, self._route(service, "/" + rest), True
        return self.frontend, self._route(self.frontend, path), False

    def _route(self, service: str, path: str) -> str:
        templates = self.routes.get(service)
        return templates.match(path) if templates is not None else normalise_path(path)


class PageWatch:
    """Everything one page does while it is checked: requests, console, errors."""

    def __init__(
        self, result: PageResult, keys: RequestKeys, recorder: LatencyRecorder | None
    ) -> None:
        self.result = result
        self.keys = keys
        self.recorder = recorder  # None: not timed (a re-check for evidence)
        self.inflight = 0
        self.tasks: list[asyncio.Task[None]] = []
        self.responses: dict[int, Any] = {}  # by id() of their request, until it finishes
        self.log: list[str] = []

    def _handlers(self) -> dict[str, Callable[[Any], None]]:
        return {
            "request": self._request,
            "response": self._response,
            "requestfinished": self._finished,
            "requestfailed": self._failed,
            "console": self._console,
            "pageerror": self._page_error,
        }

    def attach(self, page: Any) -> None:
        for event, handler in self._handlers().items():
            page.on(event, handler)

    def detach(self, page: Any) -> None:
        """The tab goes on to the next page: stop listening for this one."""
        for event, handler in self._handlers().items():
            page.remove_listener(event, handler)

    def _request(self, request: Any) -> None:
        self.inflight += 1

    def _response(self, response: Any) -> None:
        self.responses[id(response.request)] = response

    def _finished(self, request: Any) -> None:
        self.inflight -= 1
        response = self.responses.pop(id(request), None)
        status = int(response.status) if response is not None else 0
        ms = self._time(request, status, error=status >= 500 or status == 0)
        if status >= 400 or status == 0:
            self.result.failed_requests.append(f"{request.method} {request.url}: {status}")
        service, route, gateway = self.keys.classify(request.url)
        if gateway and response is not None:
            call = CallRecord(service, request.method, route, request.url, status, ms)
            self.result.calls.append(call)
            self.tasks.append(asyncio.ensure_future(self._read_body(call, response)))

    def _failed(self, request: Any) -> None:
        self.inflight -= 1
        self.result.failed_requests.append(f"{request.method} {request.url}: {request.failure}")
        self._time(request, 0, error=True)

    def _console(self, message: Any) -> None:
        self.log.append(f"[{message.type}] {message.text}")
        if message.type == "error":
            self.result.console_errors.append(str(message.text))

    def _page_error(self, error: Any) -> None:
        self.log.append(f"[pageerror] {error}")
        self.result.page_errors.append(str(error))

    @staticmethod
    async def _read_body(call: CallRecord, response: Any) -> None:
        call.nonempty = await _nonempty_json(response)

    def _time(self, request: Any, status: int, error: bool) -> float:
        """Record the request's latency (from the browser's own timing); its milliseconds."""
        ms = max(float(request.timing.get("responseEnd", -1)), 0.0)
        if self.recorder is not None:
            service, route, _ = self.keys.classify(request.url)
            key = RouteKey(service, request.method, route)
            self.recorder.record(key, int(ms * 1_000_000), error)
        return ms

    async def quiet(self, deadline: float) -> None:
        """Wait until no request is in flight (the page settled; stragglers finish)."""
        while self.inflight > 0 and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)

    async def finish(self) -> None:
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    def judge(self, spec: PageSpec) -> None:
        """Turn what the page did into problems: errors, and the declared calls' answers."""
        result = self.result
        result.problems += [f"console error: {text}" for text in result.console_errors]
        result.problems += [f"uncaught error: {text}" for text in result.page_errors]
        result.problems += [f"failed request: {text}" for text in result.failed_requests]
        for call in spec.calls:
            made = [
                c for c in result.calls
                if (c.service, c.method, c.route) == (call.service, call.method, call.route)
            ]  # fmt: skip
            if not made:
                result.problems.append(f"call {call} was never made")
            for record in made:
                if not 200 <= record.status < 300:
                    result.problems.append(f"call {call} answered {record.status} ({record.url})")
                elif record.nonempty is False:
                    result.problems.append(f"call {call} returned no data ({record.url})")
                elif record.nonempty is None:
                    result.problems.append(f"call {call} did not return JSON ({record.url})")


async def _nonempty_json(response: Any) -> bool | None:
    try:
        body = await response.body()
        return bool(json.loads(body))
    except (ValueError, UnicodeDecodeError):
        return None
    except Exception:  # the body is gone (e.g. the page navigated away)
        return None
