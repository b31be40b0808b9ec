"""The figures monitoring reads from PostgreSQL at scrape time.

A handful of cheap statements on one connection, in one read-only
transaction bounded by `statement_timeout`: the ledger head (an index's
last entry), the relay and webhook cursors (a row each), the webhook
deliveries not yet delivered (a partial index), the units oversold (a scan
of `levels`, with `available` rendered from its one formula) and, when the
`reconciliations` table exists, the discrepancy rate of the last finished
reconciliation."""

from __future__ import annotations

import asyncpg

from stockd.domain.quantities import AVAILABLE
from stockd.service.ports import StoreFigures

OVERSOLD = f"SELECT coalesce(sum(greatest(floor - ({AVAILABLE.sql()}), 0)), 0) FROM levels"
"""Units below the floor the SKU's policy allows (0 under `deny`, the
backorder cap below 0 otherwise), over every level."""

_HEAD = "SELECT coalesce(max(seq), 0) FROM ledger_events"
_RELAYS = "SELECT name, seq FROM relay_cursors"
_WEBHOOKS = "SELECT id, cursor FROM webhooks WHERE active"
_DELIVERIES = """
SELECT webhook_id, status, count(*) AS n FROM webhook_deliveries
WHERE status IN ('pending', 'failed', 'dead')
GROUP BY webhook_id, status
"""
_HAS_RECONCILIATIONS = "SELECT to_regclass('reconciliations') IS NOT NULL"
_DISCREPANCY = """
SELECT discrepancy_rate FROM reconciliations
WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1
"""


class PostgresFigures:
    def __init__(self, pool: asyncpg.Pool, timeout_ms: int = 1000) -> None:
        self.pool = pool
        self.timeout_ms = timeout_ms

    async def figures(self) -> StoreFigures:
        async with (
            self.pool.acquire(timeout=self.timeout_ms / 1000) as conn,
            conn.transaction(readonly=True),
        ):
            await conn.execute(f"SET LOCAL statement_timeout = {int(self.timeout_ms)}")
            head = int(await conn.fetchval(_HEAD))
            relays = {r["name"]: int(r["seq"]) for r in await conn.fetch(_RELAYS)}
            webhooks = {r["id"]: int(r["cursor"]) for r in await conn.fetch(_WEBHOOKS)}
            found = await conn.fetch(_DELIVERIES)
            deliveries = {(r["webhook_id"], r["status"]): int(r["n"]) for r in found}
            oversold = int(await conn.fetchval(OVERSOLD))
            rate = None
            if await conn.fetchval(_HAS_RECONCILIATIONS):
                last = await conn.fetchval(_DISCREPANCY)
                rate = None if last is None else float(last)
        return StoreFigures(
            ledger_head=head,
            relay_cursors=relays,
            webhook_cursors=webhooks,
            deliveries=deliveries,
            oversold_units=oversold,
            discrepancy_rate=rate,
        )
