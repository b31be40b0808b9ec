"""The event stream: every change, in commit order."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from starlette.responses import Response

from stockd import errors
from stockd.domain.events import split_types
from stockd.entrypoints.api.deps import AppContainer, ReadKey
from stockd.entrypoints.api.routes.common import CodeFilter, Limit, problems
from stockd.entrypoints.api.schemas.events import EventPage, EventRead
from stockd.entrypoints.api.sse import HEARTBEAT, EventStream, message
from stockd.service.following import follow
from stockd.service.queries import EventFilter

router = APIRouter(prefix="/v1", tags=["events"])

MAX_WAIT = 30.0
"""Longest long poll, in seconds."""

STREAM_PAGE = 100
"""Events a stream reads from the ledger at a time."""

TypeFilter = Annotated[
    str | None,
    Query(
        max_length=2000,
        description="Comma list of event types; `family.*` for every type of a family.",
        examples=["reservation.created,order.*"],
    ),
]


def type_filter(raw: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """`type=a.b,c.*`: exact types and whole families; unknown ones are refused."""
    if raw is None:
        return frozenset(), frozenset()
    types, families, unknown = split_types(x.strip() for x in raw.split(","))
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
    type: TypeFilter = None,
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


@router.get(
    "/stream",
    response_class=Response,
    responses={
        200: {
            "description": "Server-Sent Events: one message per ledger event, `id:` its `seq`,"
            " `event:` its type, `data:` the event as `GET /v1/events` shows it.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **problems(),
    },
)
async def stream(
    container: AppContainer,
    key: ReadKey,
    type: TypeFilter = None,
    sku: CodeFilter = None,
    location: CodeFilter = None,
    after: Annotated[
        int | None,
        Query(
            ge=0,
            le=2**62,
            description="Start with the events after this seq (default: only events that"
            " commit from now on). `Last-Event-ID` takes precedence.",
        ),
    ] = None,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            description="The `id` of the last message received: a reconnecting client gets"
            " every event after it, none twice (browsers send it by themselves).",
        ),
    ] = None,
) -> Response:
    """Every new event as it commits, live (Server-Sent Events), filtered
    like `GET /v1/events`. Follows the ledger by `seq`, woken by PostgreSQL
    (LISTEN/NOTIFY) as events commit; a comment line
    (`STOCKD_STREAM_HEARTBEAT_SECONDS`) keeps an idle connection open. A
    client that takes nothing for `STOCKD_STREAM_SEND_TIMEOUT_SECONDS` is
    cut off and resumes with `Last-Event-ID`."""
    types, families = type_filter(type)
    only = EventFilter(types, families, sku, location, None, None)
    if last_event_id is not None:
        start = last_event_id.strip()
        if not start.isdigit() or len(start) > 19 or int(start) > 2**62:
            raise errors.InvalidRequest(
                errors.Issue(
                    f"Last-Event-ID must be the id of a message received (a seq), not {start!r}",
                    "Last-Event-ID",
                )
            )
        cursor = int(start)
    elif after is not None:
        cursor = after
    else:
        cursor = await container.reads.ledger_head()
    settings = container.settings

    async def messages() -> AsyncIterator[bytes]:
        pages = follow(
            container.reads,
            container.watch,
            cursor,
            only=only,
            page=STREAM_PAGE,
            idle=settings.stream_heartbeat_seconds,
        )
        async for found in pages:
            if not found:
                yield HEARTBEAT
                continue
            # A client that reads availability on hearing of an event gets
            # what the event left, not a cached answer from before it.
            await container.cache.through(found[-1].seq)
            for record in found:
                yield message(record.seq, record.event.type, EventRead.of(record).model_dump_json())

    return EventStream(messages(), send_timeout=settings.stream_send_timeout_seconds)
