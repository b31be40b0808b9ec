"""The in-memory store: unit of work, read model, keys and maintenance."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Self

from stockd.adapters.memory.capacity import MemoryCapacity
from stockd.adapters.memory.corrections import MemoryCorrections
from stockd.adapters.memory.inbound import MemoryPurchaseOrders, MemoryTies
from stockd.adapters.memory.state import (
    MemoryApiKeys,
    MemoryCatalog,
    MemoryChannels,
    MemoryData,
    MemoryIdempotency,
    MemoryLedger,
    MemoryLevels,
    MemoryOrders,
    MemoryReservations,
    MemorySales,
    MemoryTransfers,
    MemoryWebhooks,
    counted,
)
from stockd.adapters.memory.verify import verify
from stockd.adapters.memory.watch import MemoryLedgerWatch
from stockd.domain.capacity import CapacityPool, CapacityWeek, SlotBooking
from stockd.domain.catalog import Location, Sku
from stockd.domain.channels import Channel, PoolShare, SkuChannels
from stockd.domain.inbound import PurchaseOrder
from stockd.domain.orders import Order, OrderStatus
from stockd.domain.promises import Holder, HolderKind, ready_of
from stockd.domain.quantities import Level, LevelKey, State
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.domain.transfers import Transfer
from stockd.domain.weeks import IsoWeek
from stockd.service.auth import ApiKey
from stockd.service.listing import (
    AtRisk,
    AtRiskLine,
    Listed,
    OrderFilter,
    Position,
    PurchaseOrderFilter,
    ReservationFilter,
    ReturnFilter,
    SaleFilter,
    TransferFilter,
    position_of,
)
from stockd.service.ports import ReturnRecord, SaleRecord
from stockd.service.queries import (
    EventFilter,
    LedgerRecord,
    LocatedLevel,
    Overview,
    Promises,
    SkuStock,
    VerifyReport,
)


class MemoryStore:
    def __init__(self) -> None:
        self.state = MemoryData()
        self.lock = asyncio.Lock()
        self.watch = MemoryLedgerWatch()

    def uow(self, *, autocommit: bool = False) -> MemoryUnitOfWork:
        """Every unit of work here is atomic under one lock, so `autocommit`
        changes nothing."""
        return MemoryUnitOfWork(self)


class MemoryUnitOfWork:
    catalog: MemoryCatalog
    levels: MemoryLevels
    reservations: MemoryReservations
    ledger: MemoryLedger
    idempotency: MemoryIdempotency
    orders: MemoryOrders
    transfers: MemoryTransfers
    purchase_orders: MemoryPurchaseOrders
    ties: MemoryTies
    sales: MemorySales
    keys: MemoryApiKeys
    channels: MemoryChannels
    webhooks: MemoryWebhooks
    corrections: MemoryCorrections
    capacity: MemoryCapacity

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.committed = False

    async def __aenter__(self) -> Self:
        await self.store.lock.acquire()
        self.work = self.store.state.copy()
        self.catalog = MemoryCatalog(self.work)
        self.levels = MemoryLevels(self.work)
        self.reservations = MemoryReservations(self.work)
        self.ledger = MemoryLedger(self.work)
        self.idempotency = MemoryIdempotency(self.work)
        self.orders = MemoryOrders(self.work)
        self.transfers = MemoryTransfers(self.work)
        self.purchase_orders = MemoryPurchaseOrders(self.work)
        self.ties = MemoryTies(self.work)
        self.sales = MemorySales(self.work)
        self.keys = MemoryApiKeys(self.work)
        self.channels = MemoryChannels(self.work)
        self.webhooks = MemoryWebhooks(self.work)
        self.corrections = MemoryCorrections(self.work.corrections, self.work.events)
        self.capacity = MemoryCapacity(self.work.capacity)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.store.lock.release()

    async def commit(self) -> None:
        self.store.state = self.work
        self.store.watch.committed(len(self.work.events))
        self.work = self.work.copy()
        self._rebind()
        self.committed = True

    def _rebind(self) -> None:
        self.catalog.s = self.levels.s = self.reservations.s = self.work
        self.ledger.s = self.idempotency.s = self.work
        self.orders.s = self.transfers.s = self.sales.s = self.keys.s = self.work
        self.channels.s = self.webhooks.s = self.purchase_orders.s = self.ties.s = self.work
        self.corrections.d, self.corrections.events = self.work.corrections, self.work.events
        self.capacity.d = self.work.capacity


def _overdue(state: MemoryData, now: datetime) -> dict[LevelKey, int]:
    held: dict[LevelKey, int] = defaultdict(int)
    for r in state.reservations.values():
        if r.status is ReservationStatus.ACTIVE and r.expires_at <= now:
            for line in r.lines:
                held[LevelKey(line.sku, line.location)] += line.quantity
    return held


def _newest_first(items: Iterable[Listed], after: Position | None, limit: int) -> list[Listed]:
    ordered = sorted(items, key=position_of, reverse=True)
    return [x for x in ordered if after is None or position_of(x) < after][:limit]


def _live(level: Level, overdue: dict[LevelKey, int]) -> Level:
    q = level.quantities
    return Level(
        level.key,
        q.with_value(State.RESERVED, q.reserved - overdue.get(level.key, 0)),
        level.floor,
        level.version,
    )


class MemoryReadModel:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    @property
    def s(self) -> MemoryData:
        return self.store.state

    async def sku(self, code: str) -> Sku | None:
        found = self.s.skus.get(code)
        return None if found is None else counted(self.s, found)

    async def skus(self, after: str | None, limit: int, *, archived: bool = False) -> list[Sku]:
        return [
            counted(self.s, v)
            for k, v in sorted(self.s.skus.items())
            if k > (after or "") and v.archived is archived
        ][:limit]

    async def location(self, location_id: str) -> Location | None:
        return self.s.locations.get(location_id)

    async def locations(
        self, after: str | None, limit: int, *, archived: bool = False
    ) -> list[Location]:
        return [
            v
            for k, v in sorted(self.s.locations.items())
            if k > (after or "") and v.archived is archived
        ][:limit]

    async def channel(self, channel_id: str) -> Channel | None:
        return self.s.channels.get(channel_id)

    async def channels(self, after: str | None, limit: int) -> list[Channel]:
        return [v for k, v in sorted(self.s.channels.items()) if k > (after or "")][:limit]

    async def channel_pools(self, sku: str) -> list[PoolShare]:
        return list(self.s.pools.get(sku, ()))

    async def channel_stock(self, skus: Collection[str]) -> dict[str, SkuChannels]:
        return await MemoryChannels(self.s).stock(skus)

    async def share_pooled_skus(self, after: str | None, limit: int) -> list[str]:
        return sorted(
            sku
            for sku, shares in self.s.pools.items()
            if sku > (after or "") and any(p.share_pct is not None for p in shares)
        )[:limit]

    async def levels(
        self,
        now: datetime,
        *,
        sku: str | None,
        location: str | None,
        after: LevelKey | None,
        limit: int,
    ) -> list[Level]:
        overdue = _overdue(self.s, now)
        return [
            _live(v, overdue)
            for k, v in sorted(self.s.levels.items())
            if (sku is None or k.sku == sku)
            and (location is None or k.location == location)
            and (after is None or k > after)
        ][:limit]

    async def availability_of(
        self, now: datetime, skus: Collection[str]
    ) -> dict[str, list[LocatedLevel]]:
        overdue = _overdue(self.s, now)
        found: dict[str, list[LocatedLevel]] = {sku: [] for sku in skus if sku in self.s.skus}
        for k, v in self.s.levels.items():
            if k.sku in found:
                found[k.sku].append(LocatedLevel(_live(v, overdue), self.s.locations[k.location]))
        for located in found.values():
            located.sort(key=lambda x: (x.location.priority, x.location.id))
        return found

    async def levels_of(self, now: datetime, skus: Collection[str]) -> list[Level]:
        overdue = _overdue(self.s, now)
        return [_live(v, overdue) for k, v in sorted(self.s.levels.items()) if k.sku in skus]

    async def locations_by_id(self, ids: Collection[str]) -> dict[str, Location]:
        return {i: self.s.locations[i] for i in ids if i in self.s.locations}

    async def order(self, order_id: str) -> Order | None:
        return await MemoryOrders(self.s).get(order_id)

    async def capacity_pool(self, pool_id: str) -> CapacityPool | None:
        return self.s.capacity.pools.get(pool_id)

    async def capacity_pools(self, after: str | None, limit: int) -> list[CapacityPool]:
        pools = sorted(self.s.capacity.pools.values(), key=lambda p: p.id)
        return [p for p in pools if after is None or p.id > after][:limit]

    async def capacity_weeks(self, pool: str, first: IsoWeek, last: IsoWeek) -> list[CapacityWeek]:
        return await MemoryCapacity(self.s.capacity).weeks(pool, first, last)

    async def slot(self, slot_id: str) -> SlotBooking | None:
        return self.s.capacity.slots.get(slot_id)

    async def transfer(self, transfer_id: str) -> Transfer | None:
        return self.s.transfers.get(transfer_id)

    async def purchase_order(self, purchase_order_id: str) -> PurchaseOrder | None:
        return self.s.purchase_orders.get(purchase_order_id)

    async def purchase_orders(
        self, only: PurchaseOrderFilter, after: Position | None, limit: int
    ) -> list[PurchaseOrder]:
        return _newest_first(filter(only.matches, self.s.purchase_orders.values()), after, limit)

    async def unpromised(self, keys: Collection[LevelKey]) -> dict[LevelKey, int]:
        return await MemoryTies(self.s).unpromised(keys)

    async def promises(self, holder: Holder) -> Promises:
        ties = await MemoryTies(self.s).of_holders([holder])
        promised = {k: at for (o, k), at in self.s.promised_ready.items() if o == holder.id}
        return Promises(tuple(ties), promised if holder.kind is HolderKind.ORDER else {})

    async def at_risk(self, now: datetime, after: Position | None, limit: int) -> list[AtRisk]:
        found = []
        for order in self.s.orders.values():
            if order.status not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_SHIPPED):
                continue
            ties = await MemoryTies(self.s).of_holders([Holder(HolderKind.ORDER, order.id)])
            lines = []
            for ol in order.lines:
                key = LevelKey(ol.sku, ol.location)
                promised = self.s.promised_ready.get((order.id, key))
                here = [t for t in ties if t.key == key]
                if promised is None or not ol.committed or not here:
                    continue
                ready = ready_of(here, promised)
                if ready is None or ready > promised:
                    lines.append(AtRiskLine(ol.sku, ol.location, promised, ready))
            for made in self.s.capacity.order_lines(order.id):
                if made.late(now):
                    ready_at = None if made.ready_at <= now else made.ready_at
                    lines.append(
                        AtRiskLine(
                            made.sku,
                            made.location,
                            made.promised,
                            ready_at,
                            "production",
                            str(made.week),
                        )
                    )
            if lines:
                lines.sort(key=lambda x: (x.sku, x.location, x.week or ""))
                found.append(AtRisk(order.id, order.created_at, tuple(lines), order.deliver_by))
        return _newest_first(found, after, limit)

    async def reservation(self, reservation_id: str) -> Reservation | None:
        return self.s.reservations.get(reservation_id)

    async def orders(self, only: OrderFilter, after: Position | None, limit: int) -> list[Order]:
        found = _newest_first(filter(only.matches, self.s.orders.values()), after, limit)
        return [replace(o, production=self.s.capacity.order_lines(o.id)) for o in found]

    async def reservations(
        self, now: datetime, only: ReservationFilter, after: Position | None, limit: int
    ) -> list[Reservation]:
        found = (r for r in self.s.reservations.values() if only.matches(r, now))
        return _newest_first(found, after, limit)

    async def transfers(
        self, only: TransferFilter, after: Position | None, limit: int
    ) -> list[Transfer]:
        return _newest_first(filter(only.matches, self.s.transfers.values()), after, limit)

    async def sales(self, only: SaleFilter, after: Position | None, limit: int) -> list[SaleRecord]:
        return _newest_first(filter(only.matches, self.s.sales.values()), after, limit)

    async def returns(
        self, only: ReturnFilter, after: Position | None, limit: int
    ) -> list[ReturnRecord]:
        return _newest_first(filter(only.matches, self.s.returns.values()), after, limit)

    async def events(
        self, after: int, limit: int, only: EventFilter | None = None
    ) -> list[LedgerRecord]:
        return [
            LedgerRecord(seq, e)
            for seq, e in enumerate(self.s.events, start=1)
            if seq > after and (only is None or only.matches(e))
        ][:limit]

    async def ledger_head(self) -> int:
        return len(self.s.events)

    async def verify(self) -> VerifyReport:
        return verify(self.s)

    async def stats(self, now: datetime) -> dict[str, int]:
        live = [r for r in self.s.reservations.values() if r.status is ReservationStatus.ACTIVE]
        return {
            "skus": len(self.s.skus),
            "locations": len(self.s.locations),
            "levels": len(self.s.levels),
            "active_reservations": sum(r.expires_at > now for r in live),
            "overdue_reservations": sum(r.expires_at <= now for r in live),
            "ledger_head": len(self.s.events),
        }

    async def overview(self, now: datetime, low_stock_below: int, limit: int) -> Overview:
        overdue = _overdue(self.s, now)
        totals = {code: SkuStock(code, s.name, 0, 0) for code, s in self.s.skus.items()}
        for k, v in self.s.levels.items():
            if (t := totals.get(k.sku)) is not None and self.s.locations[k.location].usable:
                available = _live(v, overdue).available
                totals[k.sku] = SkuStock(t.sku, t.name, t.available + available, t.locations + 1)
        ranked = sorted(
            (t for t in totals.values() if not self.s.skus[t.sku].archived),
            key=lambda t: (t.available, t.sku),
        )
        out = [t for t in ranked if t.available <= 0]
        low = [t for t in ranked if 0 < t.available < low_stock_below]
        stats = await self.stats(now)
        return Overview(
            skus=sum(not s.archived for s in self.s.skus.values()),
            locations=sum(not x.archived for x in self.s.locations.values()),
            active_reservations=stats["active_reservations"],
            ledger_head=stats["ledger_head"],
            out_of_stock_count=len(out),
            low_stock_count=len(low),
            out_of_stock=tuple(out[:limit]),
            low_stock=tuple(low[:limit]),
        )


class MemoryApiKeyStore:
    """Reads the keys the fake store's units of work wrote."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    async def find(self, digest: bytes, *, include_revoked: bool = False) -> ApiKey | None:
        return next(
            (
                k
                for k, d in self.store.state.keys.values()
                if d == digest and (include_revoked or k.revoked_at is None)
            ),
            None,
        )

    async def all(self) -> list[ApiKey]:
        return sorted((k for k, _ in self.store.state.keys.values()), key=lambda k: k.created_at)

    async def count_active(self) -> int:
        return sum(k.revoked_at is None for k, _ in self.store.state.keys.values())


class MemoryMaintenance:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    async def forget_idempotency_keys(self, before: datetime) -> int:
        stale = [k for k, v in self.store.state.idempotency.items() if v[2] < before]
        for k in stale:
            del self.store.state.idempotency[k]
        return len(stale)

    async def ping(self) -> None:
        return None
