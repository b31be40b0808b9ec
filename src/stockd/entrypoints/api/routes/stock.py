"""Levels, availability and adjustments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from stockd import errors
from stockd.domain.commands import Adjust
from stockd.domain.quantities import LevelKey
from stockd.entrypoints.api.deps import (
    Bus,
    IdempotencyKey,
    Now,
    ReadKey,
    Reads,
    WriteKey,
    idempotency,
)
from stockd.entrypoints.api.routes.common import CodeFilter, Cursor, Limit, problems
from stockd.entrypoints.api.schemas.common import CODE_PATTERN, decode_cursor, encode_cursor
from stockd.entrypoints.api.schemas.stock import (
    AdjustmentBatch,
    AdjustmentResults,
    AvailabilityRead,
    LevelPage,
    LevelRead,
)
from stockd.entrypoints.api.writes import execute
from stockd.service.handlers.adjustments import AdjustResult

router = APIRouter(prefix="/v1", tags=["stock"])


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


@router.get("/availability/{sku}", response_model=AvailabilityRead, responses=problems(404))
async def availability(
    sku: Annotated[str, Path(pattern=CODE_PATTERN)], reads: Reads, key: ReadKey, clock: Now
) -> AvailabilityRead:
    if await reads.sku(sku) is None:
        raise errors.NotFound(f"SKU {sku!r} does not exist")
    found = await reads.availability_of(clock.now(), [sku])
    return AvailabilityRead.of(sku, found[sku])


@router.post(
    "/adjustments",
    response_model=AdjustmentResults,
    responses=problems(409, 422),
    summary="Change levels: deltas, counts and moves, up to 1,000 at once",
)
async def adjust(
    body: AdjustmentBatch,
    key: WriteKey,
    bus: Bus,
    request: Request,
    idem_key: IdempotencyKey = None,
) -> Response:
    """Atomic by default: if any change fails, nothing is applied and the
    problem lists every failing item (`errors[].index`). With `atomic: false`
    each change succeeds or fails alone and the response says which."""
    cmd = Adjust(tuple(c.to_domain() for c in body.changes), atomic=body.atomic)

    def render(result: AdjustResult) -> tuple[int, AdjustmentResults]:
        return 200, AdjustmentResults.of(result)

    return await execute(bus, cmd, key, idempotency(idem_key, key, request, body), render)
