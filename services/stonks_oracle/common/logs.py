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
from contextvars import ContextVar
from typing import Any

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


def configure_logging(service: str, level: int = logging.INFO) -> None:
    """Send the service's loggers to stdout as JSON lines (once per process)."""
    logger = logging.getLogger(LOGGER)
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def outgoing_traceparent() -> str | None:
    """A traceparent for a call this request makes upstream: same trace, a new span."""
    trace = current_trace.get()
    return None if trace is None else f"00-{trace[0]}-{secrets.token_hex(8)}-01"


def now() -> float:
    """A monotonic clock in seconds, for request durations."""
    return time.perf_counter()
