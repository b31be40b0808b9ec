"""Hot paths served in front of FastAPI's per-request machinery.

`POST /v1/reservations` (the flash-sale path) and `GET /v1/availability/{sku}`
(the storefront read) are answered by `HotPaths` before the request enters
FastAPI's middleware and dependency stack. The same steps are written out:
bearer key, the same `ReservationCreate` model (validated straight from the
JSON bytes, strict), the same idempotency as the declared routes, and the
same problem documents. Successful answers are the models' documents as
plain data (`reservation_document`, `availability_document`; a test checks
the bytes are the models'), serialised by orjson and sent as two ASGI
messages. The FastAPI routes stay declared, so OpenAPI and the docs describe
these paths exactly. These paths sit behind `edge.RequestEdge` like every
route: its rules are not repeated here.

Measured on the bench machine: a FastAPI POST with a body model answered
4,900 req/s, a plain Starlette route 10,900 (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

import orjson
from fastapi import FastAPI
from pydantic import ValidationError
from starlette import types as asgi
from starlette.datastructures import State
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from stockd import errors
from stockd.bootstrap import Container
from stockd.entrypoints.api import problems
from stockd.entrypoints.api.deps import idempotency
from stockd.entrypoints.api.routes.reservations import _render
from stockd.entrypoints.api.schemas.common import CODE_PATTERN
from stockd.entrypoints.api.schemas.reservations import ReservationCreate, reservation_document
from stockd.entrypoints.api.schemas.stock import availability_document
from stockd.entrypoints.api.writes import execute
from stockd.service.auth import Scope
from stockd.service.context import Context

log = logging.getLogger(__name__)

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def _path(request: Request) -> str:
    # request.url builds a URL object; the decoded path is all we need.
    path: str = request.scope["path"]
    return path


def header(request: Request, name: bytes) -> str | None:
    """A request header (`name` in lower case), straight from the ASGI scope."""
    for k, v in request.scope["headers"]:
        if k == name:
            return str(v.decode("latin-1"))
    return None


def bearer(request: Request) -> str | None:
    value = header(request, b"authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class Json:
    """A JSON response sent as two ASGI messages, without a Response object."""

    __slots__ = ("body", "status")

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(self.body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.body})


async def create_reservation(request: Request) -> Reply:
    path = _path(request)
    container: Container = request.app.state.container
    try:
        key = await container.auth.authenticate(bearer(request), Scope.WRITE)
        idem_key = header(request, b"idempotency-key")
        if idem_key is not None and not _KEY.match(idem_key):
            return problems.invalid(
                [
                    {
                        "loc": ("Idempotency-Key",),
                        "msg": "must be 1-255 visible ASCII characters",
                        "type": "string_pattern_mismatch",
                    }
                ],
                path,
                ("header",),
            )
        try:
            body = ReservationCreate.model_validate_json(await request.body())
        except ValidationError as e:
            return problems.invalid(e.errors(), path, ("body",))
        except ClientDisconnect:
            return Response(status_code=499)  # nobody is listening
        if idem_key is None:
            # What `execute` does for a request without a key, minus the
            # Pydantic model and the Response object.
            held = await container.bus.handle(body.to_command(), Context(actor=f"key:{key.id}"))
            document = reservation_document(held, container.clock.now())
            return Json(201, orjson.dumps(document, option=orjson.OPT_UTC_Z))
        return await execute(
            container.bus,
            body.to_command(),
            key,
            idempotency(idem_key, key, request, body),
            _render(201, container.clock),
        )
    except errors.StockdError as e:
        return problems.problem_for(e, path)


_CODE = re.compile(CODE_PATTERN)


async def availability(request: Request) -> Reply:
    """`GET /v1/availability/{sku}`: the hot read path."""
    path = _path(request)
    container: Container = request.app.state.container
    try:
        await container.auth.authenticate(bearer(request), Scope.READ)
        sku = request.path_params["sku"]
        if not _CODE.match(sku):
            return problems.invalid(
                [
                    {
                        "loc": ("sku",),
                        "msg": f"String should match pattern '{CODE_PATTERN}'",
                        "type": "string_pattern_mismatch",
                    }
                ],
                path,
                ("path",),
            )
        levels = await container.availability.of(sku)
        if not levels and await container.reads.sku(sku) is None:
            raise errors.NotFound(f"SKU {sku!r} does not exist")
        return Json(200, orjson.dumps(availability_document(sku, levels)))
    except errors.StockdError as e:
        return problems.problem_for(e, path)


_AVAILABILITY = "/v1/availability/"


class HotPaths:
    """ASGI front: the hot paths directly, everything else to FastAPI."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    @property
    def state(self) -> State:
        return self.app.state

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        if scope["type"] == "http":
            handler = self._handler(scope)
            if handler is not None:
                await self._serve(handler, scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _handler(self, scope: asgi.Scope) -> Handler | None:
        method, path = scope["method"], scope["path"]
        if method == "POST" and path == "/v1/reservations":
            scope["path_params"] = {}
            return create_reservation
        if method == "GET" and path.startswith(_AVAILABILITY):
            sku = path[len(_AVAILABILITY) :]
            if sku and "/" not in sku:
                scope["path_params"] = {"sku": sku}
                return availability
        return None

    async def _serve(
        self, handler: Handler, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send
    ) -> None:
        # Body size, media type and query parameters were checked in front
        # (edge.RequestEdge), as for every route.
        scope["app"] = self.app
        try:
            response: Reply = await handler(Request(scope, receive))
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            response = problems.problem(
                500, "internal_error", "Internal error", "an unexpected error occurred"
            )
        await response(scope, receive, send)


Reply = Response | Json
Handler = Callable[[Request], Awaitable[Reply]]
