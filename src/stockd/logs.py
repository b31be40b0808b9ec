"""Logging: one line per record, human-readable text or JSON, each with the
id of the request it was written for.

`STOCKD_LOG_FORMAT` chooses: `text` (`LEVEL logger: message`), `json` (one
JSON object per line: time, level, logger, message, request_id, and the
access log's method, route, path, status, duration_ms and client), or
`auto` (the default: text when stderr is a terminal, JSON otherwise — a log
collector reads JSON, a person at a terminal reads text).
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal

import orjson

REQUEST_ID: ContextVar[str | None] = ContextVar("stockd_request_id", default=None)
"""The id of the HTTP request being answered (set by the API's middleware)."""

ACCESS_FIELDS = ("method", "route", "path", "status", "duration_ms", "client")
"""What an access log record carries besides its message (`extra=`)."""

Format = Literal["auto", "text", "json"]


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request it was written for
    (records written outside a request get none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for name in ACCESS_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{text} [{request_id}]" if request_id else text


def formatter(chosen: Format, stream_is_terminal: bool) -> logging.Formatter:
    if chosen == "json" or (chosen == "auto" and not stream_is_terminal):
        return JsonFormatter()
    return TextFormatter()


def configure(level: str, chosen: Format) -> None:
    """Send every logger's records (uvicorn's too) to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(chosen, sys.stderr.isatty()))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own handlers, if it installed any, would write a second format.
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
