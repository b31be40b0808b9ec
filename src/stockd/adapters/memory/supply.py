"""The in-memory `SupplyReader`: levels and transfers from the store; the
inbound lots and production weeks that have no store of their own yet
(purchase orders, capacity pools) are given by the test (`inbound`,
`production`, by SKU)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from stockd.adapters.memory.store import MemoryReadModel, MemoryStore
from stockd.domain.atp import InboundLot, ProductionWeek, Stock, Supply, in_flight
from stockd.domain.catalog import Location


class MemorySupplyReader:
    def __init__(self, store: MemoryStore, transfer_eta: timedelta) -> None:
        self.store = store
        self.reads = MemoryReadModel(store)
        self.transfer_eta = transfer_eta
        self.inbound: dict[str, list[InboundLot]] = {}
        self.production: dict[str, list[ProductionWeek]] = {}

    async def supply(self, sku: str, now: datetime, until: datetime) -> Supply | None:
        found = await self.reads.sku(sku)
        if found is None:
            return None
        state = self.store.state
        levels = (await self.reads.availability_of(now, [sku]))[sku]
        transfers = [
            in_flight(t.id, t.destination, t.created_at, line.in_transit, self.transfer_eta)
            for t in state.transfers.values()
            for line in t.lines
            if line.sku == sku and line.in_transit
        ]
        lots = [lot for lot in [*transfers, *self.inbound.get(sku, [])] if lot.eta <= until]
        weeks = self.production.get(sku, [])
        named = {lot.location for lot in lots} | {week.location for week in weeks}
        return Supply(
            found,
            {**await self.locations(named), **{x.location.id: x.location for x in levels}},
            tuple(Stock(x.location.id, x.level.quantities.available) for x in levels),
            tuple(sorted(lots, key=lambda lot: (lot.eta, lot.reference))),
            tuple(weeks),
        )

    async def locations(self, ids: Collection[str]) -> dict[str, Location]:
        return await self.reads.locations_by_id(ids)
