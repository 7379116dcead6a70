"""JSON log lines: every line a service writes names the request (and so the test) it serves.

`configure_logging(service)` sends the `stonks_oracle` loggers to stdout as one JSON object per
line. Each line carries the service, the level, the message and, while a request is served, its
W3C trace id and span id (from the `traceparent` header, see `middleware.request_log`), so the
lines of one test can be picked out of the log by the trace id its client sent.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar
from json.encoder import encode_basestring
from typing import Any, TextIO

#: (trace id, span id) of the request being served, if it came with a valid traceparent.
current_trace: ContextVar[tuple[str, str] | None] = ContextVar("trace", default=None)
LOGGER = "stonks_oracle"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, service, logger, msg, trace_id, span_id, extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": round(record.created, 6),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        trace = current_trace.get()
        if trace is not None:
            line["trace_id"], line["span_id"] = trace
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"), default=str)


class RequestLine:
    """Writes the one line per request, in the JsonFormatter's shape, without the logging
    machinery (a record, a formatter, a dict to encode): a few µs instead of about twenty."""

    def __init__(self, service: str, stream: TextIO) -> None:
        self.stream = stream
        self._head = '{"ts":%.6f,"level":"info","service":' + _quote(service)
        self._head += ',"logger":"stonks_oracle.request","msg":"request"'

    def write(
        self, trace: tuple[str, str] | None, method: str, route: str, path: str, status: int,
        duration_ms: float, correlation_id: str | None,
    ) -> None:  # fmt: skip
        ids = f',"trace_id":"{trace[0]}","span_id":"{trace[1]}"' if trace else ""
        correlation = _quote(correlation_id) if correlation_id is not None else "null"
        self.stream.write(
            f'{self._head % time.time()}{ids},"method":{_quote(method)},"route":{_quote(route)},'
            f'"path":{_quote(path)},"status":{status},"duration_ms":{duration_ms:.3f},'
            f'"correlation_id":{correlation}}}\n'
        )
        self.stream.flush()


_quote: Callable[[str], str] = encode_basestring  # a JSON string literal, in C
request_line = RequestLine("service", sys.stdout)


def configure_logging(
    service: str, level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Send the service's loggers to `stream` (stdout) as JSON lines (once per process)."""
    global request_line
    logger = logging.getLogger(LOGGER)
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    stream = stream or sys.stdout
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(service))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    request_line = RequestLine(service, stream)


def outgoing_traceparent() -> str | None:
    """A traceparent for a call this request makes upstream: same trace, a new span."""
    trace = current_trace.get()
    return None if trace is None else f"00-{trace[0]}-{secrets.token_hex(8)}-01"


def now() -> float:
    """A monotonic clock in seconds, for request durations."""
    return time.perf_counter()
