"""`RequestObserver`: every request's id, figures and access log line.

A pure ASGI middleware, the outermost, so it sees every answer (the lean
hot paths', the request edge's refusals, FastAPI's errors). Per request it
does what it must and no more: read or make the request id (a contextvar
the problem documents and log records read, and an `X-Request-Id` header
on the response), then its method, route, status and duration recorded in plain dicts
(`RequestFigures`: added to the metrics once a second and before each
scrape), and an access log record if INFO is enabled.

Requests are labelled by route *template* (`/v1/reservations/{reservation_id}`),
never by the path a client sent: that would be a time series per id.
Requests no route answered (404s, and bodies the edge refused before
routing) are labelled `unmatched`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import time

import asyncpg
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockd.adapters.prometheus import REQUESTS, RequestFigures, process_ended, sample_pool
from stockd.logs import REQUEST_ID

access = logging.getLogger("stockd.access")

UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods labelled as sent; any other is labelled `OTHER` (a label value
a client chooses must come from a fixed set)."""
REQUEST_ID_PATTERN = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
"""An incoming `X-Request-Id` is kept if it is 1-128 of these characters
(else a fresh one is made: a header a log line or problem carries must be
safe to print)."""


def new_request_id() -> str:
    """16 hex digits: unique enough to find a request's lines, and cheap
    (an id names a request, it guards nothing: no need for the OS's
    randomness, three times slower)."""
    return f"{random.getrandbits(64):016x}"


def route_of(scope: Scope) -> str:
    """The template of the route that answered, or `unmatched`."""
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path_format", None) or route.path)
    endpoint = scope.get("endpoint")
    if endpoint is not None:  # a Starlette route (the pages): rare, so looked up
        for candidate in getattr(scope.get("app"), "routes", ()):
            if getattr(candidate, "endpoint", None) is endpoint:
                return str(getattr(candidate, "path_format", None) or candidate.path)
    return UNMATCHED


class RequestObserver:
    def __init__(self, app: ASGIApp, figures: RequestFigures = REQUESTS) -> None:
        self.app = app
        self.figures = figures

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = None
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                if REQUEST_ID_PATTERN.fullmatch(value):
                    request_id = value.decode("ascii")
                break
        if request_id is None:
            request_id = new_request_id()
        header = (b"x-request-id", request_id.encode("ascii"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._observe(scope, status, time.perf_counter() - started)
            REQUEST_ID.reset(token)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        sent: str = scope["method"]
        method = sent if sent in METHODS else "OTHER"
        route = route_of(scope)
        self.figures.record(method, route, status, seconds)
        if access.isEnabledFor(logging.INFO):
            duration_ms = round(seconds * 1000, 3)
            client = scope.get("client")
            access.info(
                "%s %s %d %.1fms",
                sent,
                scope["path"],
                status,
                duration_ms,
                extra={
                    "method": sent,
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": duration_ms,
                    "client": client[0] if client else None,
                },
            )


async def publish_figures_every(pool: asyncpg.Pool | None, seconds: float = 1.0) -> None:
    """Add this process's requests to the metrics and record its pool use
    every `seconds` (in multiprocess mode a scrape reads every process's
    last record), until cancelled; at the end, its last requests are added
    and its live gauges withdrawn."""
    try:
        while True:
            REQUESTS.flush()
            sample_pool(pool)
            await asyncio.sleep(seconds)
    finally:
        REQUESTS.flush()
        process_ended(os.getpid())
