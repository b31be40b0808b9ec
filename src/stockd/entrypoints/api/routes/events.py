"""The ledger, in commit order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockd.entrypoints.api.deps import AppContainer, ReadKey
from stockd.entrypoints.api.routes.common import Limit, problems
from stockd.entrypoints.api.schemas.common import CODE_PATTERN
from stockd.entrypoints.api.schemas.events import EventPage, EventRead

router = APIRouter(prefix="/v1", tags=["ledger"])


@router.get("/events", response_model=EventPage, responses=problems())
async def events(
    container: AppContainer,
    key: ReadKey,
    after: Annotated[int, Query(ge=0, le=2**62, description="Return events with seq > after.")] = 0,
    limit: Limit = 100,
    sku: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    location: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
) -> EventPage:
    """Every stock movement, oldest first. Page with `after=next_after`; a
    reader that pages this way sees every event exactly once."""
    found = await container.reads.events(after, limit, sku=sku, location=location)
    return EventPage(
        items=[EventRead.of(r) for r in found],
        next_after=found[-1].seq if found else after,
    )
