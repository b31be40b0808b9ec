"""Available-to-promise, delivery-date promises (read scope; nothing is held), and
the orders whose supply moved past the date they were promised."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from stockd.domain.commands import SkuQuantity
from stockd.domain.promise import Destination
from stockd.entrypoints.api.deps import AppContainer, Now, ReadKey, Reads
from stockd.entrypoints.api.routes.common import (
    Cursor,
    Limit,
    TimeFilter,
    newest_first,
    problems,
    resume_at,
)
from stockd.entrypoints.api.schemas.common import CODE_PATTERN
from stockd.entrypoints.api.schemas.promises import AtpRead, PromiseRead, PromiseRequest
from stockd.entrypoints.api.schemas.supply import AtRiskPage, AtRiskRead

router = APIRouter(prefix="/v1", tags=["promises"])


@router.get(
    "/atp/{sku}",
    response_model=AtpRead,
    responses=problems(404),
    summary="Available-to-promise: units sellable by date, each step labelled with its supply",
)
async def atp(
    sku: Annotated[str, Path(pattern=CODE_PATTERN)],
    key: ReadKey,
    container: AppContainer,
    location: Annotated[
        str | None, Query(pattern=CODE_PATTERN, description="Only this location's supply.")
    ] = None,
    until: TimeFilter = None,
) -> AtpRead:
    """Stock on hand now, then each inbound lot at its ETA, then production
    weeks as they end, each adding the units nobody holds yet; `until`
    (default and cap: STOCKD_ATP_DEFAULT_DAYS / STOCKD_ATP_MAX_DAYS ahead)
    must lie in the future."""
    found = await container.promises.atp(sku, location=location, until=until)
    return AtpRead.of(found)


@router.post(
    "/promise",
    response_model=PromiseRead,
    responses=problems(409),
    summary="The earliest delivery date of each line, and the terms that make it",
)
async def promise(body: PromiseRequest, key: ReadKey, container: AppContainer) -> PromiseRead:
    """Per line, the supply it would take (from locations that ship) and
    its delivery date: ready date + handling + transit + the carrier's
    window + a safety buffer. Holds nothing. A line that cannot be promised
    within STOCKD_ATP_MAX_DAYS is a 409 `insufficient_stock` naming it."""
    to = Destination(body.ship_to.to_domain(), body.ship_to.region)
    made = await container.promises.promise(
        [SkuQuantity(x.sku, x.quantity) for x in body.lines], to
    )
    return PromiseRead.of(made)


@router.get("/promises/at-risk", response_model=AtRiskPage, responses=problems())
async def at_risk(
    key: ReadKey, reads: Reads, clock: Now, limit: Limit, cursor: Cursor = None
) -> AtRiskPage:
    """Open orders with lines whose backordered units are now ready later
    than the date promised when the order was placed (their inbound's ETA
    slipped, or a cut left them with another inbound or none), or whose
    made-to-order lines are late (their week ended and units are still to
    make), newest first (by creation time, then id). Each line shows both
    dates and what it waits for (`supply`)."""
    found = await reads.at_risk(clock.now(), resume_at(cursor), limit + 1)
    page, next_cursor = newest_first(found, limit)
    return AtRiskPage(items=[AtRiskRead.of(x) for x in page], next_cursor=next_cursor)
