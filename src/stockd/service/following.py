"""Following the ledger: every consumer's loop, written once.

Every consumer of the event stream (the SSE stream, the NATS relay, the
cache invalidator, `stockd events tail`) reads the ledger by `seq` after its
own cursor and, when it has caught up, waits for the watch to hear that the
head moved. `follow` is that loop: it yields each page of events in `seq`
order as soon as it commits, and an empty page when `idle` seconds pass
without one (a consumer's moment for a heartbeat, or to check it still
should run). `seq` is in commit order, so nothing is skipped and nothing
comes twice; an event whose transaction rolled back is never read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from stockd.service.ports import LedgerWatch
from stockd.service.queries import EventFilter, LedgerRecord, ReadModel

PAGE = 100
"""Events read from the ledger at a time."""


async def follow(
    reads: ReadModel,
    watch: LedgerWatch,
    after: int,
    *,
    only: EventFilter | None = None,
    page: int = PAGE,
    idle: float = 15.0,
) -> AsyncIterator[list[LedgerRecord]]:
    """Pages of the events after `after` (that match `only`), as they commit;
    an empty page after `idle` seconds without any."""
    sent, heard = after, after  # the last seq yielded; the ledger head as last heard
    while True:
        found = await reads.events(sent, page, only)
        if found:
            yield found
            sent = found[-1].seq
            heard = max(heard, sent)
            continue
        head = await watch.wait_past(heard, idle)
        if head <= heard:
            yield []
        heard = max(heard, head)
