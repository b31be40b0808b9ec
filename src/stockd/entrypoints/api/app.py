"""The FastAPI application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from stockd import __version__
from stockd.bootstrap import Container
from stockd.entrypoints import dashboard
from stockd.entrypoints.api import docs, lean, problems
from stockd.entrypoints.api.edge import RequestEdge
from stockd.entrypoints.api.observe import RequestObserver, publish_figures_every
from stockd.entrypoints.api.routes import (
    catalog,
    channel_drift,
    channels,
    corrections,
    events,
    health,
    metrics,
    orders,
    overview,
    production,
    promises,
    purchase_orders,
    reconciliations,
    reservations,
    stock,
    transfers,
    webhooks,
)
from stockd.entrypoints.workers import loops

DESCRIPTION = """
stockd knows, in real time, how much of every SKU can be sold, where, and who
is holding it. Every change is one transaction that updates the levels and
appends to an immutable ledger; nothing is ever oversold.

Authenticate with `Authorization: Bearer <api key>`. Errors are RFC 9457
problem details with a stable `code`. Every POST accepts an `Idempotency-Key`.
"""


def _serve_problems_as_problem_json(app: FastAPI) -> None:
    """Document 4xx/5xx bodies under application/problem+json, the media type
    they are sent with (FastAPI would say application/json)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if status[0] in "45" and "application/json" in content:
                            content[problems.MEDIA_TYPE] = content.pop("application/json")
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    container: Container | None = None,
    *,
    open_container: Callable[[], Awaitable[Container]] | None = None,
    workers: bool = True,
    max_body_bytes: int = 4 * 1024 * 1024,
) -> FastAPI:
    """The API over `container`, or over one `open_container` makes at start-up
    (and closes at shutdown); `workers` runs the background workers alongside."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = None
        if container is None:
            assert open_container is not None
            owned = app.state.container = await open_container()
        served: Container = app.state.container
        tasks = loops.start_all(served) if workers else []
        if served.settings.cache_ttl_seconds > 0:
            # Every process that answers reads invalidates its own cache.
            tasks.append(asyncio.create_task(served.cache.run(), name="stockd-cache"))
        tasks.append(asyncio.create_task(publish_figures_every(served.pool), name="stockd-figures"))
        try:
            yield
        finally:
            await loops.stop(tasks)
            if owned is not None:
                await owned.close()

    app = lean.LeanApi(
        title="stockd",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by `docs`, without a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
        # A path with a trailing slash is a 404, not a redirect a client
        # would follow with another method or body.
        redirect_slashes=False,
        # A body without Content-Type is read as JSON; other types never get
        # here (RequestEdge answers 415).
        strict_content_type=False,
        # FastAPI's own OpenTelemetry layer asks, on every request, whether a
        # provider is configured (a measurable share of a hold's CPU); stockd
        # configures none.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    docs.install(app, "/docs")
    dashboard.install(app, "/dashboard")
    if container is not None:
        app.state.container = container
    problems.install(app)
    _serve_problems_as_problem_json(app)
    # The hot paths: matched before any other route, inside RequestEdge.
    lean.install(app, reservations.hot, stock.hot)
    for module in (
        health,
        metrics,
        catalog,
        channels,
        channel_drift,
        stock,
        overview,
        reservations,
        orders,
        promises,
        transfers,
        purchase_orders,
        events,
        webhooks,
        corrections,
        reconciliations,
        production,
    ):
        app.include_router(module.router)
    app.add_middleware(RequestEdge, api=app, max_body_bytes=max_body_bytes)
    # Outermost: request ids, figures and the access log for every answer.
    app.add_middleware(RequestObserver)
    return app
