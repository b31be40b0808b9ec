"""The event stream: every change, in commit order."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query

from stockd import errors
from stockd.domain.events import EVENT_TYPES, FAMILIES
from stockd.entrypoints.api.deps import AppContainer, ReadKey
from stockd.entrypoints.api.routes.common import CodeFilter, Limit, problems
from stockd.entrypoints.api.schemas.events import EventPage, EventRead
from stockd.service.queries import EventFilter

router = APIRouter(prefix="/v1", tags=["events"])

MAX_WAIT = 30.0
"""Longest long poll, in seconds."""


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
            errors.Issue(
                f"unknown event type(s) {', '.join(repr(u) for u in unknown)}; give types such"
                " as 'reservation.created' or families such as 'order.*' (docs/events.md)",
                "type",
            )
        )
    return frozenset(types), frozenset(families)


@router.get("/events", response_model=EventPage, responses=problems())
async def events(
    container: AppContainer,
    key: ReadKey,
    limit: Limit,
    after: Annotated[int, Query(ge=0, le=2**62, description="Return events with seq > after.")] = 0,
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
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT,
            description="Long poll: when no event matches yet, wait up to this many seconds"
            " for one to commit (answered as soon as one does).",
        ),
    ] = 0,
) -> EventPage:
    """Every change, oldest first: level movements, the catalogue, orders,
    transfers and API keys (docs/events.md lists every type). Page with
    `after=next_after`: `seq` is in commit order, so a reader that pages this
    way sees every event exactly once, and never later finds one it passed.
    With `wait`, an empty page waits for the next matching event: stockd
    hears of commits from PostgreSQL (LISTEN/NOTIFY, docs/events.md)."""
    types, families = type_filter(type)
    only = EventFilter(types, families, sku, location, order_id, reservation_id)
    found = await container.reads.events(after, limit, only)
    deadline = time.monotonic() + wait
    heard = after
    while not found and (left := deadline - time.monotonic()) > 0:
        head = await container.watch.wait_past(heard, left)
        if head <= heard:
            break  # nothing new before the deadline
        heard = head
        found = await container.reads.events(after, limit, only)
    return EventPage(
        items=[EventRead.of(r) for r in found],
        next_after=found[-1].seq if found else after,
    )
