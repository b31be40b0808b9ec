"""What every request must meet before any route sees it.

`RequestEdge` is the one owner of three rules, for every route, the hot
paths of `fast` included (it sits in front of them):

- a body is at most `max_body_bytes`: a larger `Content-Length` is refused at
  once, and a body sent without one (chunked) is counted as it arrives and
  refused as soon as it passes the limit (413);
- a body is JSON: a `Content-Type` other than `application/json` or
  `application/*+json` is a 415; a body without one is read as JSON;
- a query parameter the route does not declare in the OpenAPI document is a
  422 naming it and the ones the route takes (a typo never goes unnoticed).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockd.entrypoints.api import problems

log = logging.getLogger(__name__)

# HTTP versions in which a request without Content-Length or Transfer-Encoding
# has no body (in HTTP/2 and 3 it may have one).
_FRAMED = frozenset({"1.0", "1.1"})

Operations = list[tuple[RouteContext, dict[str, tuple[str, ...]]]]


def _is_json(content_type: bytes) -> bool:
    """`application/json` or `application/*+json`, with any parameters (the
    same test FastAPI applies before it reads a body as JSON)."""
    if content_type == b"application/json":
        return True
    media_type = content_type.decode("latin-1").partition(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class RequestEdge:
    """ASGI middleware: the body limit, JSON bodies, declared query parameters.

    `api` is the FastAPI application whose routes and OpenAPI document say
    which query parameters each operation takes (the hot paths' routes are
    declared there too)."""

    def __init__(self, app: ASGIApp, *, api: FastAPI, max_body_bytes: int) -> None:
        self.app = app
        self.api = api
        self.limit = max_body_bytes
        self._operations: Operations | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length: bytes | None = None
        content_type: bytes | None = None
        chunked = False
        for key, value in scope["headers"]:
            if key == b"content-length":
                length = value
            elif key == b"content-type":
                content_type = value
            elif key == b"transfer-encoding":
                chunked = True
        refusal = self._refusal(scope, length, content_type, chunked)
        if refusal is not None:
            await refusal(scope, receive, send)
        elif length is None and (chunked or scope.get("http_version") not in _FRAMED):
            await self._counting(scope, receive, send)
        else:  # the server delivers no more than Content-Length says, or nothing
            await self.app(scope, receive, send)

    def _refusal(
        self, scope: Scope, length: bytes | None, content_type: bytes | None, chunked: bool
    ) -> Response | None:
        """The answer to a request refused on its headers alone, else None."""
        path: str = scope["path"]
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return problems.too_large(self.limit, path)
        has_body = chunked or (length is not None and length != b"0")
        # Only for an operation that exists: else its 404 or 405 says more.
        if (
            content_type
            and has_body
            and not _is_json(content_type)
            and self._declared_query(scope) is not None
        ):
            return problems.unsupported_media_type(content_type.decode("latin-1"), path)
        if scope["query_string"]:
            accepted = self._declared_query(scope)
            if accepted is not None:
                names = {k for k, _ in parse_qsl(scope["query_string"].decode("latin-1"), True)}
                unknown = sorted(names.difference(accepted))
                if unknown:
                    return problems.unknown_query(unknown, accepted, path)
        return None

    def _declared_query(self, scope: Scope) -> tuple[str, ...] | None:
        """The query parameters of the operation this request is for, or None
        if it is for none (no such path or method, or a page like /docs)."""
        for route, methods in self._all_operations():
            if route.matches(scope)[0] is Match.FULL:
                return methods.get(scope["method"])
        return None

    def _all_operations(self) -> Operations:
        """Each route of the OpenAPI document, with the query parameters of
        each of its methods (worked out once, at the first request that asks)."""
        if self._operations is None:
            paths = self.api.openapi().get("paths", {})
            found: Operations = []
            for route in iter_route_contexts(self.api.routes):
                operations = paths.get(route.path_format or "", {})
                declared = {
                    method: tuple(
                        p["name"]
                        for p in operations[method.lower()].get("parameters", [])
                        if p["in"] == "query"
                    )
                    for method in route.methods or ()
                    if method.lower() in operations
                }
                if declared:
                    found.append((route, declared))
            self._operations = found
        return self._operations

    async def _counting(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a body of no declared length (chunked) counted as
        it arrives. Past the limit the app sees the request end as if the
        client had gone, whatever it then answers is dropped, and the client
        gets the 413."""
        received = 0
        refused = started = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, unless_refused)
        except Exception:
            if not refused or started:
                raise
            log.debug("after a refused body", exc_info=True)
        if refused and not started:
            await problems.too_large(self.limit, scope["path"])(scope, receive, send)
