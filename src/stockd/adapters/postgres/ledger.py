"""The ledger in PostgreSQL: append-only, numbered in commit order."""

from __future__ import annotations

from collections.abc import Sequence

from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres.event_rows import EVENT_FIELDS, EVENT_TYPES_SQL, record
from stockd.domain.channels import outstanding_changes
from stockd.domain.events import Event

_APPEND = f"""
INSERT INTO ledger_events ({", ".join(EVENT_FIELDS)})
SELECT * FROM unnest({", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(EVENT_TYPES_SQL))})
"""

_COUNT = """
WITH d AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS d (sku, channel, change)
), counted AS (
    UPDATE channel_stock o SET outstanding = o.outstanding + d.change
    FROM d WHERE o.sku = d.sku AND o.channel = d.channel
    RETURNING o.sku, o.channel
)
INSERT INTO channel_stock AS o (sku, channel, outstanding)
SELECT d.sku, d.channel, d.change FROM d
WHERE NOT EXISTS (SELECT 1 FROM counted c WHERE c.sku = d.sku AND c.channel = d.channel)
ON CONFLICT (sku, channel) DO UPDATE SET outstanding = o.outstanding + excluded.outstanding
"""
"""Each channel's units outstanding moved by the events' deltas: added in
SQL (the CHECK keeps it from going below 0), never read and written back.
Rows that exist are updated; a first count is inserted (an insert's row
meets the CHECK before any conflict is seen, so a change that takes away
must update)."""


class PostgresLedger:
    """Appends are written when the unit of work commits (`flush`): inserting
    an event takes the numbering lock (migration 0003), held until commit, so
    it is taken last, after every row lock of the transaction. The channels'
    counters (`channel_stock`) change with the events that move them, just
    before them."""

    def __init__(self, conn: PoolConnectionProxy, written: list[Event] | None = None) -> None:
        self.conn = conn
        self._pending: list[Event] = []
        self.written = [] if written is None else written
        """Every event this transaction has written (the unit of work tells
        its `on_commit` of them)."""

    async def append(self, events: Sequence[Event]) -> None:
        self._pending.extend(events)

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    async def flush(self) -> None:
        events, self._pending = self._pending, []
        if not events:
            return
        self.written.extend(events)
        changes = outstanding_changes(events)
        if changes:
            keys = sorted(changes)  # one lock order for every writer
            await self.conn.execute(
                _COUNT, [k[0] for k in keys], [k[1] for k in keys], [changes[k] for k in keys]
            )
        records = [record(e) for e in events]
        if len(records) >= COPY_FROM:
            # Binary COPY encodes rows without the per-element checks that
            # array parameters go through: much cheaper for a group commit.
            await self.conn.copy_records_to_table(
                "ledger_events", columns=EVENT_FIELDS, records=records
            )
            return
        columns: list[list[object]] = [list(c) for c in zip(*records, strict=True)]
        await self.conn.execute(_APPEND, *columns)


COPY_FROM = 8
"""Append this many events or more with COPY rather than INSERT … unnest."""
