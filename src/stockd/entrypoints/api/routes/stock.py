"""Levels, availability and adjustments."""

from __future__ import annotations

import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import Response

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.commands import Adjust
from stockd.domain.quantities import LevelKey
from stockd.entrypoints.api import lean
from stockd.entrypoints.api.deps import (
    Now,
    ReadKey,
    Reads,
    Writer,
)
from stockd.entrypoints.api.problems import invalid, problem_for
from stockd.entrypoints.api.responses import Json
from stockd.entrypoints.api.routes.common import CodeFilter, Cursor, Limit, problems
from stockd.entrypoints.api.schemas.common import CODE_PATTERN
from stockd.entrypoints.api.schemas.stock import (
    AdjustmentBatch,
    AdjustmentResults,
    AvailabilityList,
    AvailabilityRead,
    LevelPage,
    LevelRead,
    availability_document,
)
from stockd.service.auth import Scope
from stockd.service.cursors import decode_cursor, encode_cursor
from stockd.service.handlers.adjustments import AdjustResult

router = APIRouter(prefix="/v1", tags=["stock"])
hot = lean.router("/v1", ["stock"])


@router.get("/levels", response_model=LevelPage, responses=problems())
async def list_levels(
    reads: Reads,
    key: ReadKey,
    clock: Now,
    limit: Limit,
    sku: CodeFilter = None,
    location: CodeFilter = None,
    cursor: Cursor = None,
) -> LevelPage:
    after = LevelKey(*decode_cursor(cursor, 2)) if cursor else None
    found = await reads.levels(
        clock.now(), sku=sku, location=location, after=after, limit=limit + 1
    )
    page = found[:limit]
    last = page[-1].key if page else None
    return LevelPage(
        items=[LevelRead.of(level) for level in page],
        next_cursor=encode_cursor(last.sku, last.location) if last and len(found) > limit else None,
    )


MAX_SKUS = 100
"""Most SKUs one `GET /v1/availability?skus=` asks for."""

_CODE = re.compile(CODE_PATTERN)


@hot.get(
    "/availability/{sku}",
    response_model=AvailabilityRead,
    responses=problems(404),
    summary="What can be sold of a SKU, where, and why a location offers nothing",
    openapi_extra=lean.operation(),
)
async def availability(
    request: Request, sku: Annotated[str, Path(pattern=CODE_PATTERN)]
) -> Response:
    """Per location every quantity state, what can still be held
    (`sellable`) and, where that is nothing, why (`reason`); the sums over
    locations. The storefront read: a lean route (`stockd.entrypoints.api.lean`),
    answered from the read caches when they hold it (docs/caching.md)."""
    path: str = request.scope["path"]
    container: Container = request.app.state.container
    try:
        await container.auth.authenticate(lean.bearer(request), Scope.READ)
        if not _CODE.match(sku):
            return invalid([_mismatch("sku")], path, ("path",))

        async def render() -> bytes | None:
            levels = await container.availability.of(sku)
            return None if levels is None else orjson.dumps(availability_document(sku, levels))

        found = await container.cache.get(sku, "a", render)
        if found is None:
            raise errors.NotFound(f"SKU {sku!r} does not exist")
        return Json(200, found)
    except errors.StockdError as e:
        return problem_for(e, path)


@hot.get(
    "/availability",
    response_model=AvailabilityList,
    responses=problems(),
    summary="Availability of several SKUs at once (a category page)",
    openapi_extra=lean.operation(
        query=(
            {
                "name": "skus",
                "in": "query",
                "required": True,
                "description": f"Comma-separated SKU codes, at most {MAX_SKUS}.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 130 * MAX_SKUS},
                "example": "TSHIRT-S,TSHIRT-M,TSHIRT-L",
            },
        )
    ),
)
async def availability_of_many(request: Request) -> Response:
    """The availability of each SKU, in the order asked, read in one query;
    SKUs that do not exist are listed in `missing`."""
    path: str = request.scope["path"]
    container: Container = request.app.state.container
    try:
        await container.auth.authenticate(lean.bearer(request), Scope.READ)
        raw = request.query_params.get("skus")
        if raw is None:
            return invalid([_missing("skus")], path, ("query",))
        skus = list(dict.fromkeys(x.strip() for x in raw.split(",") if x.strip()))
        bad = [x for x in skus if not _CODE.match(x)]
        if not skus or bad or len(skus) > MAX_SKUS:
            return invalid(
                [
                    {
                        "loc": ("skus",),
                        "msg": f"give 1 to {MAX_SKUS} SKU codes, comma-separated"
                        + (f"; not codes: {', '.join(repr(x) for x in bad[:5])}" if bad else ""),
                        "type": "value_error",
                    }
                ],
                path,
                ("query",),
            )
        found = await container.availability.of_many(skus)
        document = {
            "items": [availability_document(x, found[x]) for x in skus if x in found],
            "missing": [x for x in skus if x not in found],
        }
        return Json(200, orjson.dumps(document))
    except errors.StockdError as e:
        return problem_for(e, path)


def _mismatch(field: str) -> dict[str, Any]:
    return {
        "loc": (field,),
        "msg": f"String should match pattern '{CODE_PATTERN}'",
        "type": "string_pattern_mismatch",
    }


def _missing(field: str) -> dict[str, Any]:
    return {"loc": (field,), "msg": "Field required", "type": "missing"}


@router.post(
    "/adjustments",
    response_model=AdjustmentResults,
    responses=problems(409, 422),
    summary="Change levels: deltas, counts and moves, up to 1,000 at once",
)
async def adjust(
    body: AdjustmentBatch,
    write: Writer,
) -> Response:
    """Atomic by default: if any change fails, nothing is applied and the
    problem lists every failing item (`errors[].index`). With `atomic: false`
    each change succeeds or fails alone and the response says which."""
    cmd = Adjust(tuple(c.to_domain() for c in body.changes), atomic=body.atomic)

    def render(result: AdjustResult) -> tuple[int, AdjustmentResults]:
        return 200, AdjustmentResults.of(result)

    return await write(cmd, render, body=body)
