"""The ledger in PostgreSQL: append-only, numbered in commit order."""

from __future__ import annotations

from collections.abc import Sequence

from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres.event_rows import EVENT_FIELDS, EVENT_TYPES_SQL, record
from stockd.domain.events import Event

_APPEND = f"""
INSERT INTO ledger_events ({", ".join(EVENT_FIELDS)})
SELECT * FROM unnest({", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(EVENT_TYPES_SQL))})
"""


class PostgresLedger:
    """Appends are written when the unit of work commits (`flush`): inserting
    an event takes the numbering lock (migration 0003), held until commit, so
    it is taken last, after every row lock of the transaction."""

    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn
        self._pending: list[Event] = []

    async def append(self, events: Sequence[Event]) -> None:
        self._pending.extend(events)

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    async def flush(self) -> None:
        events, self._pending = self._pending, []
        if not events:
            return
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
