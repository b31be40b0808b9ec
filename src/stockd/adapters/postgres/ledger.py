"""The ledger in PostgreSQL: append-only, sequenced in commit order."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres.rows import COUNTERS, EVENT_FIELDS
from stockd.domain.ledger import Movement

_COLUMNS = EVENT_FIELDS
_TYPES = ("text",) * 3 + ("bigint",) * 14 + ("text",) * 5 + ("timestamptz", "text", "text")
_APPEND = f"""
INSERT INTO ledger_events ({", ".join(_COLUMNS)})
SELECT * FROM unnest({", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_TYPES))})
"""

SEQUENCER_LOCK = 0x5709_C0DE
"""Advisory lock id held by whoever is numbering ledger events."""

_SEQUENCE = """
WITH pending AS (
    SELECT id FROM ledger_events WHERE seq IS NULL ORDER BY id LIMIT $1
), head AS (
    SELECT coalesce(max(seq), 0) AS seq FROM ledger_events
), numbered AS (
    SELECT pending.id, head.seq + row_number() OVER (ORDER BY pending.id) AS seq
    FROM pending, head
)
UPDATE ledger_events e SET seq = numbered.seq FROM numbered WHERE e.id = numbered.id
"""


class PostgresLedger:
    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn

    async def append(self, movements: Sequence[Movement]) -> None:
        if not movements:
            return
        records = [
            (
                m.type,
                m.key.sku,
                m.key.location,
                *(getattr(m.delta, c) for c in COUNTERS),
                *(getattr(m.after, c) for c in COUNTERS),
                m.reason,
                m.reference,
                m.reservation_id,
                m.actor,
                m.idempotency_key,
                m.at,
                m.order_id,
                m.transfer_id,
            )
            for m in movements
        ]
        if len(records) >= COPY_FROM:
            # Binary COPY encodes rows without the per-element checks that
            # array parameters go through: much cheaper for a group commit.
            await self.conn.copy_records_to_table(
                "ledger_events", columns=_COLUMNS, records=records
            )
            return
        columns: list[list[object]] = [list(c) for c in zip(*records, strict=True)]
        await self.conn.execute(_APPEND, *columns)


COPY_FROM = 8
"""Append this many events or more with COPY rather than INSERT … unnest."""


async def sequence_pending(pool: asyncpg.Pool, batch: int = 50_000) -> int:
    """Number committed, unnumbered events in commit order; how many.

    Events are inserted with an id in insertion order, but transactions commit
    in another order, so a reader paging by id could skip an event that
    commits late. The sequencer numbers only events it can see committed,
    under a lock only one sequencer holds, so seq order is commit order: a
    reader that has seen seq N will never later find an event below N. Per
    level, id order is lock order, and the sequencer keeps it.
    """
    total = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SEQUENCER_LOCK)
            status = await conn.execute(_SEQUENCE, batch)
        done = int(status.split()[-1])
        total += done
        if done < batch:
            return total
