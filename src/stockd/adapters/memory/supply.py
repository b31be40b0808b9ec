"""The in-memory `SupplyReader`: levels, transfers in flight, purchase orders
and production weeks from the store, as the PostgreSQL one reads them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from stockd.adapters.memory.store import MemoryReadModel, MemoryStore
from stockd.domain.atp import InboundLot, ProductionWeek, Stock, Supply
from stockd.domain.catalog import Location
from stockd.domain.inbound import PurchaseOrderStatus
from stockd.domain.promises import SupplyKind
from stockd.domain.weeks import IsoWeek

_OPEN = (PurchaseOrderStatus.OPEN, PurchaseOrderStatus.PARTIALLY_RECEIVED)


class MemorySupplyReader:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.reads = MemoryReadModel(store)

    async def supply(self, sku: str, now: datetime, until: datetime) -> Supply | None:
        found = await self.reads.sku(sku)
        if found is None:
            return None
        state = self.store.state
        levels = (await self.reads.availability_of(now, [sku]))[sku]

        def promised(kind: SupplyKind, supply_id: str) -> int:
            return state.promised.get((kind, supply_id, sku), 0)

        transfers = [
            InboundLot(
                f"transfer:{t.id}",
                t.destination,
                t.expected_at or t.created_at,
                line.in_transit,
                promised(SupplyKind.TRANSFER, t.id),
            )
            for t in state.transfers.values()
            for line in t.lines
            if line.sku == sku and line.in_transit
        ]
        ordered = [
            InboundLot(
                po.supply,
                po.location,
                po.expected_at,
                line.open,
                promised(SupplyKind.PURCHASE_ORDER, po.id),
            )
            for po in state.purchase_orders.values()
            if po.status in _OPEN
            for line in po.lines
            if line.sku == sku and line.open
        ]
        lots = sorted([*transfers, *ordered], key=lambda lot: (lot.eta, lot.reference))
        named = {x.location.id: x.location for x in levels}
        weeks: list[ProductionWeek] = []
        pool = state.capacity.pools.get(found.capacity_pool or "")
        if pool is not None:
            named.update(await self.locations([pool.location]))
            zone = named[pool.location].zone
            first, last = pool.first_week(now, zone), IsoWeek.at(until, zone)
            weeks = [
                ProductionWeek(pool.id, pool.location, w.week, w.free)
                for (pool_id, week), w in sorted(state.capacity.weeks.items())
                if pool_id == pool.id
                and first <= week <= last
                and w.free > 0
                and week.ends_at(zone) <= until
            ]
        unknown = {lot.location for lot in lots} - named.keys()
        return Supply(
            found,
            {**await self.locations(unknown), **named},
            tuple(Stock(x.location.id, x.level.quantities.available) for x in levels),
            tuple(lots),
            tuple(weeks),
        )

    async def locations(self, ids: Collection[str]) -> dict[str, Location]:
        return await self.reads.locations_by_id(ids)
