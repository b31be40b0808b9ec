"""The event stream: every change, in commit order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockd import errors
from stockd.domain.events import EVENT_TYPES, FAMILIES
from stockd.entrypoints.api.deps import AppContainer, ReadKey
from stockd.entrypoints.api.routes.common import Limit, problems
from stockd.entrypoints.api.schemas.common import CODE_PATTERN
from stockd.entrypoints.api.schemas.events import EventPage, EventRead
from stockd.service.queries import EventFilter

router = APIRouter(prefix="/v1", tags=["events"])

CodeFilter = Annotated[str | None, Query(pattern=CODE_PATTERN)]


def type_filter(raw: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """`type=a.b,c.*`: exact types and whole families; unknown ones are refused."""
    if raw is None:
        return frozenset(), frozenset()
    types, families, unknown = set(), set(), []
    for item in (x.strip() for x in raw.split(",")):
        if item in EVENT_TYPES:
            types.add(item)
        elif item.endswith(".*") and item[:-2] in FAMILIES:
            families.add(item[:-2])
        else:
            unknown.append(item)
    if unknown:
        raise errors.InvalidRequest(
            f"unknown event type(s) {', '.join(repr(u) for u in unknown)}; give types such as"
            " 'reservation.created' or families such as 'order.*' (docs/events.md)"
        )
    return frozenset(types), frozenset(families)


@router.get("/events", response_model=EventPage, responses=problems())
async def events(
    container: AppContainer,
    key: ReadKey,
    after: Annotated[int, Query(ge=0, le=2**62, description="Return events with seq > after.")] = 0,
    limit: Limit = 100,
    type: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="Comma list of event types; `family.*` for every type of a family.",
            examples=["reservation.created,order.*"],
        ),
    ] = None,
    sku: CodeFilter = None,
    location: CodeFilter = None,
    order_id: CodeFilter = None,
    reservation_id: CodeFilter = None,
) -> EventPage:
    """Every change, oldest first: level movements, the catalogue, orders,
    transfers and API keys (docs/events.md lists every type). Page with
    `after=next_after`: `seq` is in commit order, so a reader that pages this
    way sees every event exactly once, and never later finds one it passed."""
    types, families = type_filter(type)
    only = EventFilter(types, families, sku, location, order_id, reservation_id)
    found = await container.reads.events(after, limit, only)
    return EventPage(
        items=[EventRead.of(r) for r in found],
        next_after=found[-1].seq if found else after,
    )
