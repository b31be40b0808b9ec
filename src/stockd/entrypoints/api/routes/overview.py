"""The inventory at a glance: what the dashboard's header shows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockd.domain.quantities import MAX_CHANGE
from stockd.entrypoints.api.deps import Now, ReadKey, Reads
from stockd.entrypoints.api.routes.common import problems
from stockd.entrypoints.api.schemas.overview import OverviewRead

router = APIRouter(prefix="/v1", tags=["stock"])

MAX_LISTED = 100
"""Most SKUs each list of `GET /v1/overview` holds."""


@router.get("/overview", response_model=OverviewRead, responses=problems())
async def overview(
    reads: Reads,
    key: ReadKey,
    clock: Now,
    low_stock_below: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_CHANGE,
            description="A SKU is low on stock when 0 < available < this (summed over locations).",
        ),
    ] = 5,
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_LISTED, description="Most SKUs in each list (the counts are whole)."),
    ] = 20,
) -> OverviewRead:
    """Counts (SKUs and locations not archived, active holds, the ledger
    head) and the SKUs out of stock (available ≤ 0 summed over the usable
    locations, as `GET /v1/availability` totals it; a SKU stocked nowhere
    included) or low (0 < available <
    `low_stock_below`), lowest first then by code. Live, like the levels;
    two queries, each one pass over the levels."""
    found = await reads.overview(clock.now(), low_stock_below, limit)
    return OverviewRead.of(found, low_stock_below)
