"""The PostgreSQL `SupplyReader`: what available-to-promise reads of one SKU.

Each kind of supply is read by a small query of its own (`_transfers`,
`_purchase_orders`, `_production`). Reads take no locks.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import asyncpg

from stockd.adapters.postgres.capacity import pool_of
from stockd.adapters.postgres.reads import PostgresReadModel
from stockd.domain.atp import InboundLot, ProductionWeek, Stock, Supply
from stockd.domain.catalog import Location, Sku
from stockd.domain.weeks import IsoWeek


class PostgresSupplyReader:
    def __init__(self, pool: asyncpg.Pool, reads: PostgresReadModel) -> None:
        self.pool = pool
        self.reads = reads

    async def supply(self, sku: str, now: datetime, until: datetime) -> Supply | None:
        found = await self.reads.sku(sku)
        if found is None:
            return None
        levels = (await self.reads.availability_of(now, [sku])).get(sku, [])
        lots = sorted(
            [*await self._transfers(sku), *await self._purchase_orders(sku)],
            key=lambda lot: (lot.eta, lot.reference),
        )
        locations = {x.location.id: x.location for x in levels}
        weeks = await self._production(found, now, until, locations)
        unknown = {lot.location for lot in lots} - locations.keys()
        if unknown:
            locations.update(await self.locations(unknown))
        return Supply(
            found,
            locations,
            tuple(Stock(x.location.id, x.level.available) for x in levels),
            tuple(lots),
            tuple(weeks),
        )

    async def locations(self, ids: Collection[str]) -> dict[str, Location]:
        return await self.reads.locations_by_id(ids)

    async def _transfers(self, sku: str) -> list[InboundLot]:
        """Transfers in flight with units of `sku` still on their way (all of them:
        what is promised of a lot due after `until` is owed all the same)."""
        found = await self.pool.fetch(
            """
            SELECT t.id, t.destination, t.expected_at, l.quantity - l.received AS open,
                   l.promised
            FROM transfer_lines l JOIN transfers t ON t.id = l.transfer_id
            WHERE l.sku = $1 AND l.received < l.quantity AND t.status <> 'received'
            """,
            sku,
        )
        return [
            InboundLot(
                f"transfer:{r['id']}", r["destination"], r["expected_at"], r["open"], r["promised"]
            )
            for r in found
        ]

    async def _purchase_orders(self, sku: str) -> list[InboundLot]:
        """Open purchase order lines of `sku`."""
        found = await self.pool.fetch(
            """
            SELECT p.id, p.location, p.expected_at, l.quantity - l.received - l.cut AS open,
                   l.promised
            FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.purchase_order_id
            WHERE l.sku = $1 AND l.received + l.cut < l.quantity
              AND p.status IN ('open', 'partially_received')
            """,
            sku,
        )
        return [
            InboundLot(f"po:{r['id']}", r["location"], r["expected_at"], r["open"], r["promised"])
            for r in found
        ]

    async def _production(
        self, sku: Sku, now: datetime, until: datetime, locations: dict[str, Location]
    ) -> list[ProductionWeek]:
        """The free capacity of a made-to-order SKU's pool (the one it takes
        without options) in the weeks from this week + the lead time that end
        by `until`, on the workshop's calendar; adds the workshop to
        `locations`."""
        if sku.capacity_pool is None:
            return []
        # One statement at a time, never holding a connection while asking
        # for another (`locations`): under load the pool could run dry.
        row = await self.pool.fetchrow(
            "SELECT id, location, name, lead_time_weeks, version FROM capacity_pools WHERE id = $1",
            sku.capacity_pool,
        )
        if row is None:
            return []
        pool = pool_of(row)
        if pool.location not in locations:
            locations.update(await self.locations([pool.location]))
        zone = locations[pool.location].zone
        first = pool.first_week(now, zone)
        last = IsoWeek.at(until, zone)
        found = await self.pool.fetch(
            """
            SELECT week, units - held - committed AS free FROM capacity_weeks
            WHERE pool = $1 AND week >= $2 AND week <= $3 AND units > held + committed
            ORDER BY week
            """,
            pool.id,
            str(first),
            str(last),
        )
        weeks = [
            ProductionWeek(pool.id, pool.location, IsoWeek.parse(r["week"]), r["free"])
            for r in found
        ]
        return [w for w in weeks if w.week.ends_at(zone) <= until]
