"""Lean routes: the hot paths, written once.

`POST /v1/reservations` (the flash-sale path) and `GET /v1/availability…`
(the storefront read) are ordinary FastAPI routes — declared with the
router's decorators, described in OpenAPI from the same models
(`response_model`; the request body through `openapi_extra=operation(...)`,
as FastAPI's docs show for a route that reads its own body), and behind
every middleware — whose endpoint takes the `Request` (and the path
parameters as sent) and returns the response itself. Per request nothing
runs but the endpoint: no dependency solving, no exit stacks, no response
model, which is most of what FastAPI costs per request (docs/benchmarks.md).

The app is a `LeanApi`: the middleware stockd adds (`add_middleware`) runs
outside FastAPI's own layers (its error, telemetry and body-limit
middleware, its exception handlers and exit stacks), not inside them.
Lean routes are matched first, by `LeanFront`, the innermost of stockd's
middleware (`install` adds it before any other): so every middleware
stockd has or adds later sees them, and FastAPI's layers, which a lean
route does not need (it answers its own problems, unexpected errors
included), are not run for them. They stay in the app's routes too, so
OpenAPI, 405s and route lookups see them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel
from starlette import types as asgi
from starlette.requests import ClientDisconnect, Request

from stockd.entrypoints.api import problems

Endpoint = Callable[..., Awaitable[asgi.ASGIApp]]

BODY_MODELS: dict[str, type[BaseModel]] = {}
"""Request bodies described by `json_body`, by schema name (added to the
OpenAPI components by `install`)."""

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
"""A valid Idempotency-Key (the same rule `deps.IdempotencyKey` declares)."""


class LeanRoute(APIRoute):
    """A route whose endpoint gets the request and its path parameters and
    returns an ASGI response (`Json`, or a Starlette `Response`)."""

    def __init__(self, path: str, endpoint: Endpoint, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)

        async def serve(scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
            try:
                response = await endpoint(Request(scope, receive), **scope["path_params"])
            except Exception:
                response = problems.unexpected(scope["method"], scope["path"])
            await response(scope, receive, send)

        self.app = serve


class LeanApi(FastAPI):
    """A FastAPI app whose added middleware wraps FastAPI's own layers
    (Starlette puts it inside its error middleware, FastAPI inside its
    telemetry and body-limit middleware too): a lean route that `LeanFront`
    answers passes stockd's middleware and nothing else."""

    def build_middleware_stack(self) -> asgi.ASGIApp:
        added = self.user_middleware
        self.user_middleware = []
        try:
            app = super().build_middleware_stack()  # FastAPI's layers, the router
        finally:
            self.user_middleware = added
        for cls, args, kwargs in reversed(added):
            app = cls(app, *args, **kwargs)
        return app


def router(prefix: str, tags: list[str]) -> APIRouter:
    """A router whose routes are lean (give it to `install`)."""
    return APIRouter(prefix=prefix, tags=list(tags), route_class=LeanRoute)


def operation(
    *,
    body: type[BaseModel] | None = None,
    idempotent: bool = False,
    query: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """`openapi_extra` for a lean route: what FastAPI would learn from
    dependencies and a body parameter, which a lean route does not use — the
    API key it needs, its request body, its Idempotency-Key header and its
    query parameters (OpenAPI parameter objects)."""
    extra: dict[str, Any] = {"security": [{"HTTPBearer": []}]}
    parameters = list(query)
    if idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Retrying with the same key returns the first response"
                " and changes nothing.",
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 255,
                    "pattern": KEY_PATTERN.pattern,
                },
            }
        )
    if parameters:
        extra["parameters"] = parameters
    if body is not None:
        BODY_MODELS[body.__name__] = body
        schema = {"$ref": f"#/components/schemas/{body.__name__}"}
        extra["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    return extra


class LeanFront:
    """ASGI: serve a request a lean route matches (path and method); pass
    the rest on. Matching is Starlette's rule — the route's compiled path
    pattern and its convertors — done here in a few lines: a lean route is
    tried for every request, before anything else."""

    def __init__(self, app: asgi.ASGIApp, routes: list[LeanRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        if scope["type"] == "http":
            method: str = scope["method"]
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            for route in self.routes:
                if route.methods is None or method not in route.methods:
                    continue
                found = route.path_regex.match(path)
                if found is not None:
                    params = found.groupdict()
                    for name, value in params.items():
                        params[name] = route.param_convertors[name].convert(value)
                    scope["path_params"] = params
                    scope["endpoint"] = route.endpoint
                    scope["route"] = route
                    await route.app(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def install(app: FastAPI, *routers: APIRouter) -> None:
    """Serve the routers' routes on `app` through a `LeanFront` (call it
    before adding any other middleware: it must be the innermost), and put
    their bodies in its OpenAPI."""
    routes = [route for router in routers for route in router.routes]
    lean = [route for route in routes if isinstance(route, LeanRoute)]
    assert len(lean) == len(routes), "lean routers hold lean routes only"
    app.add_middleware(LeanFront, routes=lean)
    app.router.routes[:0] = routes
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, model in BODY_MODELS.items():
                found = model.model_json_schema(ref_template="#/components/schemas/{model}")
                for sub, sub_schema in found.pop("$defs", {}).items():
                    components.setdefault(sub, sub_schema)
                components.setdefault(name, found)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def body(request: Request) -> bytes:
    """The request body, read straight from the ASGI messages (what
    `Request.body()` does, without its stream generator: a lean route reads
    its body once). Raises Starlette's `ClientDisconnect` if the client
    leaves first."""
    receive = request.receive
    message = await receive()
    if message["type"] == "http.request" and not message.get("more_body", False):
        return bytes(message.get("body", b""))  # the usual case: one message
    chunks: list[bytes] = []
    while True:
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
        message = await receive()


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
