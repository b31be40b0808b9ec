"""The data the in-memory store holds, and its repositories over one copy of it."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from stockd import errors
from stockd.adapters.memory.capacity import CapacityData
from stockd.adapters.memory.corrections import CorrectionData
from stockd.domain.catalog import Location, Sku
from stockd.domain.channels import (
    BYPASS,
    Channel,
    PoolShare,
    SkuChannels,
    outstanding_changes,
    pooled,
)
from stockd.domain.events import Event, Movement
from stockd.domain.inbound import PurchaseOrder
from stockd.domain.orders import Order, OrderLine, OrderStatus
from stockd.domain.promises import SupplyKind, TiedUnits
from stockd.domain.quantities import Level, LevelKey, Quantities
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.domain.transfers import Transfer, TransferStatus
from stockd.domain.webhooks import Webhook
from stockd.service.auth import ApiKey
from stockd.service.ports import (
    ChannelGuard,
    ChannelSnapshot,
    OrderLineChange,
    ReturnRecord,
    SaleRecord,
    StoredResponse,
)


@dataclass
class MemoryData:
    skus: dict[str, Sku] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    levels: dict[LevelKey, Level] = field(default_factory=dict)
    reservations: dict[str, Reservation] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    idempotency: dict[tuple[str, str], tuple[str, StoredResponse | None, datetime]] = field(
        default_factory=dict
    )
    orders: dict[str, Order] = field(default_factory=dict)
    returns: dict[str, ReturnRecord] = field(default_factory=dict)
    transfers: dict[str, Transfer] = field(default_factory=dict)
    sales: dict[tuple[str, str], SaleRecord] = field(default_factory=dict)
    keys: dict[str, tuple[ApiKey, bytes]] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    pools: dict[str, tuple[PoolShare, ...]] = field(default_factory=dict)
    outstanding: dict[tuple[str, str], int] = field(default_factory=dict)
    webhooks: dict[str, tuple[Webhook, str]] = field(default_factory=dict)
    """Subscriptions and their secrets (the fake keeps no outbox: delivery
    needs PostgreSQL)."""
    corrections: CorrectionData = field(default_factory=CorrectionData)
    """Counts, report lines, sources and per-location report policies."""
    capacity: CapacityData = field(default_factory=CapacityData)
    """Capacity pools, their weeks and production bookings."""
    purchase_orders: dict[str, PurchaseOrder] = field(default_factory=dict)
    ties: dict[int, TiedUnits] = field(default_factory=dict)
    promised: dict[tuple[SupplyKind, str, str], int] = field(default_factory=dict)
    """Units tied to each inbound line: (kind, purchase order or transfer id, sku)."""
    promised_ready: dict[tuple[str, LevelKey], datetime] = field(default_factory=dict)
    """The ready date each order line was promised: (order id, level)."""
    preordered: dict[str, int] = field(default_factory=dict)
    """Units each SKU has preordered (tied to its preorder allowance)."""
    preordered_through: dict[tuple[str, str], int] = field(default_factory=dict)
    """Units each SKU has preordered through each channel it caps: (sku, channel)."""

    def copy(self) -> MemoryData:
        return MemoryData(
            dict(self.skus),
            dict(self.locations),
            dict(self.levels),
            dict(self.reservations),
            list(self.events),
            dict(self.idempotency),
            dict(self.orders),
            dict(self.returns),
            dict(self.transfers),
            dict(self.sales),
            dict(self.keys),
            dict(self.channels),
            dict(self.pools),
            dict(self.outstanding),
            dict(self.webhooks),
            self.corrections.copy(),
            self.capacity.copy(),
            dict(self.purchase_orders),
            dict(self.ties),
            dict(self.promised),
            dict(self.promised_ready),
            dict(self.preordered),
            dict(self.preordered_through),
        )


def counted(s: MemoryData, sku: Sku) -> Sku:
    """The SKU with the units preordered through each channel it caps."""
    caps = sku.policy.preorder_channel_caps
    if not caps:
        return sku
    through = tuple(
        replace(c, preordered=s.preordered_through.get((sku.sku, c.channel), 0)) for c in caps
    )
    return replace(sku, policy=replace(sku.policy, preorder_channel_caps=through))


class MemoryCatalog:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    async def skus(self, codes: Collection[str]) -> dict[str, Sku]:
        return {c: counted(self.s, self.s.skus[c]) for c in codes if c in self.s.skus}

    async def add_sku(self, sku: Sku, now: datetime) -> bool:
        if sku.sku in self.s.skus:
            return False
        self.s.skus[sku.sku] = replace(sku, version=1)
        self._count_through(sku)
        return True

    async def lock_sku(self, code: str) -> Sku | None:
        found = self.s.skus.get(code)
        return None if found is None else counted(self.s, found)

    async def save_sku(self, sku: Sku, now: datetime) -> Sku:
        saved = replace(sku, version=self.s.skus[sku.sku].version + 1)
        floor = saved.policy.floor
        for key, level in list(self.s.levels.items()):
            if key.sku == sku.sku and level.floor != floor:
                if level.quantities.violations(floor):
                    raise errors.InvariantViolation(f"refused by the store: {key}")
                self.s.levels[key] = replace(level, floor=floor)
        self.s.skus[sku.sku] = saved
        self._count_through(saved)
        return counted(self.s, saved)

    def _count_through(self, sku: Sku) -> None:
        """Counters for the channels the SKU caps (a new one counts the
        units already preordered through it); none for the others."""
        capped = {c.channel for c in sku.policy.preorder_channel_caps}
        for key in [k for k in self.s.preordered_through if k[0] == sku.sku]:
            if key[1] not in capped:
                del self.s.preordered_through[key]
        for channel in capped:
            self.s.preordered_through.setdefault(
                (sku.sku, channel),
                sum(
                    t.quantity
                    for t in self.s.ties.values()
                    if t.supply is SupplyKind.PREORDER
                    and t.key.sku == sku.sku
                    and t.channel == channel
                ),
            )

    async def locations(self, ids: Collection[str]) -> dict[str, Location]:
        return {i: self.s.locations[i] for i in ids if i in self.s.locations}

    async def add_location(self, location: Location, now: datetime) -> bool:
        if location.id in self.s.locations:
            return False
        self.s.locations[location.id] = replace(location, version=1)
        return True

    async def lock_location(self, location_id: str) -> Location | None:
        return self.s.locations.get(location_id)

    async def save_location(self, location: Location, now: datetime) -> Location:
        saved = replace(location, version=self.s.locations[location.id].version + 1)
        self.s.locations[location.id] = saved
        return saved


class MemoryLevels:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    async def create_missing(self, keys: Collection[LevelKey], now: datetime) -> None:
        for key in sorted(keys):
            sku = self.s.skus.get(key.sku)
            if key not in self.s.levels and sku is not None and key.location in self.s.locations:
                self.s.levels[key] = Level(key, Quantities(), floor=sku.policy.floor)

    async def lock(
        self, keys: Collection[LevelKey] = (), *, skus: Collection[str] = ()
    ) -> dict[LevelKey, Level]:
        wanted = set(keys)
        skus = set(skus)
        return {k: v for k, v in sorted(self.s.levels.items()) if k in wanted or k.sku in skus}

    async def read(
        self, keys: Collection[LevelKey] = (), *, skus: Collection[str] = ()
    ) -> dict[LevelKey, Level]:
        return await self.lock(keys, skus=skus)

    async def apply_many(
        self, deltas: Mapping[LevelKey, tuple[Quantities, int]], now: datetime
    ) -> dict[LevelKey, Level] | None:
        after: dict[LevelKey, Level] = {}
        for key in sorted(deltas):
            level = self.s.levels.get(key)
            delta, touches = deltas[key]
            if level is None or (level.quantities + delta).violations(level.floor):
                return None
            after[key] = replace(
                level, quantities=level.quantities + delta, version=level.version + touches
            )
        self.s.levels.update(after)
        return after

    async def apply(self, key: LevelKey, delta: Quantities, now: datetime) -> Level | None:
        level = self.s.levels.get(key)
        if level is None:
            return None
        after = level.quantities + delta
        if after.violations(level.floor):
            return None
        self.s.levels[key] = updated = replace(level, quantities=after, version=level.version + 1)
        return updated


class MemoryReservations:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    async def add_many(self, reservations: Sequence[Reservation]) -> None:
        for r in reservations:
            assert r.id not in self.s.reservations
            self.s.reservations[r.id] = r

    async def place(
        self,
        reservations: Sequence[Reservation],
        deltas: Mapping[LevelKey, tuple[Quantities, int]],
        movements: Sequence[Movement],
        now: datetime,
        guards: Sequence[ChannelGuard] = (),
    ) -> bool:
        # As the one statement does: a SKU split into pools is written only
        # under a guard that still holds.
        guarded = {g.sku: g for g in guards}
        if any(
            k.sku not in guarded and pooled(self.s.pools.get(k.sku, ()), self.s.channels)
            for k in deltas
        ):
            return False
        stock = await MemoryChannels(self.s).stock(guarded)
        if not all(_guard_holds(g, stock[g.sku]) for g in guards):
            return False
        if await MemoryLevels(self.s).apply_many(deltas, now) is None:
            return False
        for key, change in outstanding_changes(movements).items():
            self.s.outstanding[key] = self.s.outstanding.get(key, 0) + change
        await self.add_many(reservations)
        # The quantities after each movement, as the store now has them.
        after = {k: level.quantities for k, level in self.s.levels.items() if k in deltas}
        written: list[Movement] = []
        for m in reversed(movements):
            written.append(replace(m, after=after[m.key]))
            after[m.key] = after[m.key] + -m.delta
        self.s.events.extend(reversed(written))
        return True

    async def get(self, reservation_id: str, *, lock: bool = False) -> Reservation | None:
        return self.s.reservations.get(reservation_id)

    async def close(
        self,
        reservation_id: str,
        status: ReservationStatus,
        now: datetime,
        order_id: str | None = None,
    ) -> None:
        current = self.s.reservations[reservation_id]
        if current.status is not ReservationStatus.ACTIVE:
            raise RuntimeError(f"reservation {reservation_id} was not active under lock")
        self.s.reservations[reservation_id] = replace(
            current, status=status, closed_at=now, order_id=order_id
        )

    async def close_many(
        self,
        reservation_ids: Sequence[str],
        status: ReservationStatus,
        now: datetime,
        order_id: str | None = None,
    ) -> None:
        for reservation_id in reservation_ids:
            await self.close(reservation_id, status, now, order_id)

    async def set_deadline(self, reservation_id: str, expires_at: datetime) -> None:
        current = self.s.reservations[reservation_id]
        self.s.reservations[reservation_id] = replace(current, expires_at=expires_at)

    async def lock_due(
        self,
        now: datetime,
        limit: int,
        skus: Collection[str] = (),
        reservation_ids: Collection[str] = (),
    ) -> list[Reservation]:
        due = [
            r
            for r in self.s.reservations.values()
            if r.status is ReservationStatus.ACTIVE
            and r.expires_at <= now
            and (not skus or any(line.sku in skus for line in r.lines))
            and (not reservation_ids or r.id in reservation_ids)
        ]
        return sorted(due, key=lambda r: (r.expires_at, r.id))[:limit]


class MemoryLedger:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    async def append(self, events: Sequence[Event]) -> None:
        for key, change in outstanding_changes(events).items():
            now = self.s.outstanding.get(key, 0) + change
            if now < 0:
                raise errors.InvariantViolation(f"channel {key[1]} would owe {now} of {key[0]}")
            self.s.outstanding[key] = now
        self.s.events.extend(events)


class MemoryIdempotency:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    async def claim(
        self, scope: str, key: str, fingerprint: str, now: datetime
    ) -> StoredResponse | None:
        found = self.s.idempotency.get((scope, key))
        if found is None:
            self.s.idempotency[(scope, key)] = (fingerprint, None, now)
            return None
        if found[0] != fingerprint:
            raise errors.IdempotencyKeyReused(
                f"Idempotency-Key {key!r} was already used for a different request"
            )
        return found[1]

    async def release(self, scope: str, key: str) -> None:
        self.s.idempotency.pop((scope, key), None)

    async def save(self, scope: str, key: str, response: StoredResponse) -> None:
        fingerprint, _, at = self.s.idempotency[(scope, key)]
        self.s.idempotency[(scope, key)] = (fingerprint, response, at)


class MemoryOrders:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    async def add(self, order: Order) -> bool:
        if order.id in self.s.orders:
            return False
        self.s.orders[order.id] = replace(
            order, lines=tuple(sorted(order.lines, key=lambda x: (x.sku, x.location)))
        )
        return True

    async def get(self, order_id: str, *, lock: bool = False) -> Order | None:
        order = self.s.orders.get(order_id)
        if order is None:
            return None
        return replace(order, production=self.s.capacity.order_lines(order_id))

    async def change_line(
        self, order_id: str, sku: str, location: str, change: OrderLineChange
    ) -> bool:
        order = self.s.orders.get(order_id)
        line = order.line(sku, location) if order else None
        if order is None or line is None:
            return False
        after = replace(
            line,
            committed=line.committed + change.committed,
            shipped=line.shipped + change.shipped,
            cancelled=line.cancelled + change.cancelled,
            returned=line.returned + change.returned,
        )
        if (
            min(after.committed, after.shipped, after.cancelled, after.returned) < 0
            or after.returned > after.shipped
            or after.committed + after.shipped + after.cancelled != after.ordered
        ):
            return False
        lines = tuple(after if x is line else x for x in order.lines)
        self.s.orders[order_id] = replace(order, lines=lines)
        return True

    async def set_status(self, order_id: str, status: OrderStatus, now: datetime) -> None:
        self.s.orders[order_id] = replace(self.s.orders[order_id], status=status)

    async def add_produced(self, order_id: str, sku: str, location: str, quantity: int) -> None:
        order = self.s.orders[order_id]
        line = order.line(sku, location)
        if line is None:
            lines = (*order.lines, OrderLine(sku, location, quantity, quantity))
        else:
            grown = replace(
                line, ordered=line.ordered + quantity, committed=line.committed + quantity
            )
            lines = tuple(grown if x is line else x for x in order.lines)
        ordered = tuple(sorted(lines, key=lambda x: (x.sku, x.location)))
        self.s.orders[order_id] = replace(order, lines=ordered)

    async def add_return(self, record: ReturnRecord) -> None:
        # Lines by SKU, as PostgreSQL reads them back.
        lines = tuple(sorted(record.lines, key=lambda x: x.sku))
        self.s.returns[record.id] = replace(record, lines=lines)


class MemoryTransfers:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    async def add(self, transfer: Transfer) -> None:
        lines = tuple(sorted(transfer.lines, key=lambda x: x.sku))
        self.s.transfers[transfer.id] = replace(transfer, lines=lines)

    async def get(self, transfer_id: str, *, lock: bool = False) -> Transfer | None:
        return self.s.transfers.get(transfer_id)

    async def receive(self, transfer_id: str, sku: str, quantity: int) -> bool:
        transfer = self.s.transfers.get(transfer_id)
        line = transfer.line(sku) if transfer else None
        if transfer is None or line is None or line.received + quantity > line.quantity:
            return False
        after = replace(line, received=line.received + quantity)
        lines = tuple(after if x is line else x for x in transfer.lines)
        self.s.transfers[transfer_id] = replace(transfer, lines=lines)
        return True

    async def set_status(self, transfer_id: str, status: TransferStatus, now: datetime) -> None:
        self.s.transfers[transfer_id] = replace(self.s.transfers[transfer_id], status=status)

    async def set_eta(self, transfer_id: str, expected_at: datetime, now: datetime) -> int:
        before = self.s.transfers[transfer_id]
        changed = replace(before, expected_at=expected_at, version=before.version + 1)
        self.s.transfers[transfer_id] = changed
        return changed.version

    async def in_transit_to(self, keys: Collection[LevelKey]) -> dict[LevelKey, int]:
        wanted = set(keys)
        owed: dict[LevelKey, int] = {}
        for t in self.s.transfers.values():
            for line in t.lines:
                key = LevelKey(line.sku, t.destination)
                if key in wanted and line.in_transit:
                    owed[key] = owed.get(key, 0) + line.in_transit
        return owed


class MemorySales:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    async def claim(self, sale: SaleRecord) -> SaleRecord | None:
        key = (sale.location, sale.external_id)
        if key in self.s.sales:
            return self.s.sales[key]
        self.s.sales[key] = sale
        return None


class MemoryApiKeys:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    async def add(self, key: ApiKey, digest: bytes) -> bool:
        if key.id in self.s.keys or any(d == digest for _, d in self.s.keys.values()):
            return False
        self.s.keys[key.id] = (key, digest)
        return True

    async def lock_active(self) -> list[ApiKey]:
        return sorted((k for k, _ in self.s.keys.values() if k.revoked_at is None), key=_by_id)

    async def revoke(self, key_id: str, now: datetime) -> None:
        key, digest = self.s.keys[key_id]
        self.s.keys[key_id] = (replace(key, revoked_at=now), digest)


def _by_id(key: ApiKey) -> str:
    return key.id


class MemoryChannels:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    async def add(self, channel: Channel, now: datetime) -> bool:
        if channel.id in self.s.channels:
            return False
        self.s.channels[channel.id] = channel
        return True

    async def lock(self, channel_id: str) -> Channel | None:
        return self.s.channels.get(channel_id)

    async def save(self, channel: Channel, now: datetime) -> Channel:
        saved = replace(channel, version=self.s.channels[channel.id].version + 1)
        self.s.channels[channel.id] = saved
        return saved

    async def get_many(self, ids: Collection[str]) -> dict[str, Channel]:
        return {i: self.s.channels[i] for i in ids if i in self.s.channels}

    async def all(self) -> dict[str, Channel]:
        return dict(self.s.channels)

    async def stock(self, skus: Collection[str], *, lock: bool = False) -> dict[str, SkuChannels]:
        found = {}
        for sku in skus:
            if sku not in self.s.skus:
                continue
            levels = [v for k, v in self.s.levels.items() if k.sku == sku]
            found[sku] = SkuChannels(
                sku,
                sum(
                    x.quantities.for_sale
                    for x in levels
                    if (loc := self.s.locations.get(x.key.location)) is not None and loc.usable
                ),
                sum(x.quantities.reserved + x.quantities.committed for x in levels),
                list(self.s.pools.get(sku, ())),
                {c: n for (s, c), n in self.s.outstanding.items() if s == sku},
                self.s.skus[sku].archived,
            )
        return found

    async def book(self, skus: Collection[str]) -> ChannelSnapshot:
        known = {s: self.s.skus[s] for s in skus if s in self.s.skus}
        return ChannelSnapshot(dict(self.s.channels), await self.stock(skus), known)

    async def pools(self, sku: str) -> list[PoolShare]:
        return list(self.s.pools.get(sku, ()))

    async def share_pooled(self) -> list[str]:
        return sorted(
            sku
            for sku, shares in self.s.pools.items()
            if any(p.share_pct is not None for p in shares)
        )

    async def sales(self, skus: Collection[str], since: datetime) -> dict[tuple[str, str], int]:
        sold: dict[tuple[str, str], int] = {}
        for e in self.s.events:
            if (
                isinstance(e, Movement)
                and e.key.sku in skus
                and e.channel not in (None, BYPASS)
                and e.at >= since
                and e.type in ("reservation.committed", "order.allocated", "sale.recorded")
            ):
                units = -e.delta.on_hand if e.type == "sale.recorded" else e.delta.committed
                key = (e.key.sku, str(e.channel))
                sold[key] = sold.get(key, 0) + units
        return sold

    async def set_pools(self, sku: str, pools: Sequence[PoolShare], now: datetime) -> None:
        if pools:
            self.s.pools[sku] = tuple(sorted(pools, key=lambda p: p.channel))
        else:
            self.s.pools.pop(sku, None)


def _guard_holds(guard: ChannelGuard, now: SkuChannels) -> bool:
    """`ChannelGuard`'s rule: the same units for sale, and the units held
    since (each channel's growth, and the growth held without a channel) at
    most the guard's slack."""
    grown = sum(max(n - guard.outstanding.get(c, 0), 0) for c, n in now.outstanding.items())
    before = max(guard.held - sum(guard.outstanding.values()), 0)
    return (
        now.for_sale == guard.for_sale and grown + max(now.unchanneled - before, 0) <= guard.slack
    )


class MemoryWebhooks:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    async def add(self, webhook: Webhook, secret: str, now: datetime) -> None:
        self.s.webhooks[webhook.id] = (webhook, secret)

    async def lock(self, webhook_id: str) -> Webhook | None:
        found = self.s.webhooks.get(webhook_id)
        return None if found is None else found[0]

    async def save(self, webhook: Webhook, now: datetime) -> Webhook:
        current, secret = self.s.webhooks[webhook.id]
        saved = replace(webhook, version=current.version + 1, updated_at=now)
        self.s.webhooks[webhook.id] = (saved, secret)
        return saved

    async def delete(self, webhook_id: str) -> None:
        del self.s.webhooks[webhook_id]

    async def rotate(
        self, webhook_id: str, secret: str, previous_until: datetime, now: datetime
    ) -> None:
        webhook, _ = self.s.webhooks[webhook_id]
        self.s.webhooks[webhook_id] = (webhook, secret)

    async def replay(self, webhook_id: str, from_seq: int | None, now: datetime) -> int:
        return 0  # no deliveries are kept here
