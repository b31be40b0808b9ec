"""The ledger in PostgreSQL: append-only, sequenced in commit order."""

from __future__ import annotations

from collections.abc import Sequence

from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres.rows import COUNTERS, EVENT_FIELDS
from stockd.domain.ledger import Movement

_COLUMNS = EVENT_FIELDS
_TYPES = ("text",) * 3 + ("bigint",) * 14 + ("text",) * 5 + ("timestamptz", "text", "text")
_APPEND = f"""
INSERT INTO ledger_events ({", ".join(_COLUMNS)})
SELECT * FROM unnest({", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_TYPES))})
"""


class PostgresLedger:
    """Appends are written when the unit of work commits (`flush`): inserting
    an event takes the numbering lock (migration 0003), held until commit, so
    it is taken last, after every row lock of the transaction."""

    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn
        self._pending: list[Movement] = []

    async def append(self, movements: Sequence[Movement]) -> None:
        self._pending.extend(movements)

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    async def flush(self) -> None:
        movements, self._pending = self._pending, []
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
