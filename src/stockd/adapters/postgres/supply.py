"""The PostgreSQL `SupplyReader`: what available-to-promise reads of one SKU.

Each kind of supply is read by a small query of its own (`_transfers`,
…), so that another kind (purchase orders, production capacity) is one
more method and one more line in `supply`. Reads take no locks.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

import asyncpg

from stockd.adapters.postgres.reads import PostgresReadModel
from stockd.domain.atp import InboundLot, Stock, Supply, in_flight
from stockd.domain.catalog import Location


class PostgresSupplyReader:
    def __init__(
        self, pool: asyncpg.Pool, reads: PostgresReadModel, transfer_eta: timedelta
    ) -> None:
        self.pool = pool
        self.reads = reads
        self.transfer_eta = transfer_eta

    async def supply(self, sku: str, now: datetime, until: datetime) -> Supply | None:
        found = await self.reads.sku(sku)
        if found is None:
            return None
        levels = (await self.reads.availability_of(now, [sku])).get(sku, [])
        lots = await self._transfers(sku, until)
        locations = {x.location.id: x.location for x in levels}
        unknown = {lot.location for lot in lots} - locations.keys()
        if unknown:
            locations.update(await self.locations(unknown))
        return Supply(
            found,
            locations,
            tuple(Stock(x.location.id, x.level.available) for x in levels),
            tuple(lots),
        )

    async def locations(self, ids: Collection[str]) -> dict[str, Location]:
        return await self.reads.locations_by_id(ids)

    async def _transfers(self, sku: str, until: datetime) -> list[InboundLot]:
        """Transfers in flight with units of `sku` still on their way, due
        (sent + `transfer_eta`) by `until`."""
        found = await self.pool.fetch(
            """
            SELECT t.id, t.destination, t.created_at, l.quantity - l.received AS open
            FROM transfer_lines l JOIN transfers t ON t.id = l.transfer_id
            WHERE l.sku = $1 AND l.received < l.quantity AND t.status <> 'received'
              AND t.created_at <= $2
            ORDER BY t.created_at, t.id
            """,
            sku,
            until - self.transfer_eta,
        )
        return [
            in_flight(r["id"], r["destination"], r["created_at"], r["open"], self.transfer_eta)
            for r in found
        ]
