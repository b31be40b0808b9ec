"""Purchase orders and the ties of backordered units to inbound, in memory
(the fakes of `PurchaseOrderRepository` and `TieRepository`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from stockd.adapters.memory.state import MemoryData
from stockd.domain.inbound import PurchaseOrder, PurchaseOrderStatus
from stockd.domain.promises import Holder, Inbound, PreorderRoom, SupplyKind, TiedUnits
from stockd.domain.quantities import LevelKey


class MemoryPurchaseOrders:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    async def add(self, order: PurchaseOrder) -> bool:
        if order.id in self.s.purchase_orders:
            return False
        lines = tuple(sorted(order.lines, key=lambda x: x.sku))
        self.s.purchase_orders[order.id] = replace(order, lines=lines)
        return True

    async def get(self, purchase_order_id: str, *, lock: bool = False) -> PurchaseOrder | None:
        return self.s.purchase_orders.get(purchase_order_id)

    async def receive(self, purchase_order_id: str, sku: str, quantity: int) -> bool:
        return self._take(purchase_order_id, sku, quantity, "received")

    async def cut(self, purchase_order_id: str, sku: str, quantity: int) -> bool:
        return self._take(purchase_order_id, sku, quantity, "cut")

    def _take(self, purchase_order_id: str, sku: str, quantity: int, field: str) -> bool:
        order = self.s.purchase_orders.get(purchase_order_id)
        line = order.line(sku) if order else None
        if order is None or line is None or quantity > line.open:
            return False
        after = replace(line, **{field: getattr(line, field) + quantity})
        lines = tuple(after if x is line else x for x in order.lines)
        self.s.purchase_orders[purchase_order_id] = replace(order, lines=lines)
        return True

    async def set_status(
        self, purchase_order_id: str, status: PurchaseOrderStatus, now: datetime
    ) -> None:
        order = self.s.purchase_orders[purchase_order_id]
        self.s.purchase_orders[purchase_order_id] = replace(order, status=status)

    async def open_to(self, keys: Collection[LevelKey]) -> dict[LevelKey, int]:
        wanted = set(keys)
        owed: dict[LevelKey, int] = {}
        for po in self.s.purchase_orders.values():
            for line in po.lines:
                key = LevelKey(line.sku, po.location)
                if key in wanted and line.open:
                    owed[key] = owed.get(key, 0) + line.open
        return owed

    async def set_eta(self, purchase_order_id: str, expected_at: datetime, now: datetime) -> int:
        order = self.s.purchase_orders[purchase_order_id]
        changed = replace(order, expected_at=expected_at, version=order.version + 1)
        self.s.purchase_orders[purchase_order_id] = changed
        return changed.version


class MemoryTies:
    def __init__(self, state: MemoryData) -> None:
        self.s = state

    def _open(self, kind: SupplyKind, supply_id: str, sku: str) -> int:
        if kind is SupplyKind.PURCHASE_ORDER:
            po = self.s.purchase_orders.get(supply_id)
            line = po.line(sku) if po else None
            return line.open if line else 0
        t = self.s.transfers.get(supply_id)
        tl = t.line(sku) if t else None
        return tl.in_transit if tl else 0

    def _ready(self, kind: SupplyKind, supply_id: str | None) -> datetime | None:
        if kind is SupplyKind.PURCHASE_ORDER and supply_id in self.s.purchase_orders:
            return self.s.purchase_orders[supply_id].expected_at
        if kind is SupplyKind.TRANSFER and supply_id in self.s.transfers:
            return self.s.transfers[supply_id].expected_at
        return None

    async def inbound(self, key: LevelKey) -> list[Inbound]:
        found = []
        for po in sorted(self.s.purchase_orders.values(), key=lambda x: x.id):
            line = po.line(key.sku)
            if po.location == key.location and line is not None:
                kind = SupplyKind.PURCHASE_ORDER
                free = line.open - self.s.promised.get((kind, po.id, key.sku), 0)
                if free > 0:
                    found.append(Inbound(kind, po.id, po.expected_at, free))
        for t in sorted(self.s.transfers.values(), key=lambda x: x.id):
            tl = t.line(key.sku)
            if t.destination == key.location and tl is not None and t.expected_at is not None:
                kind = SupplyKind.TRANSFER
                free = tl.in_transit - self.s.promised.get((kind, t.id, key.sku), 0)
                if free > 0:
                    found.append(Inbound(kind, t.id, t.expected_at, free))
        return found

    async def add(
        self, holder: Holder, key: LevelKey, inbound: Inbound | None, units: int, since: datetime
    ) -> bool:
        kind = inbound.kind if inbound else SupplyKind.NONE
        if inbound is not None:
            line = (inbound.kind, inbound.id, key.sku)
            promised = self.s.promised.get(line, 0) + units
            if promised > self._open(inbound.kind, inbound.id, key.sku):
                return False
            self.s.promised[line] = promised
        tie_id = max(self.s.ties, default=0) + 1
        self.s.ties[tie_id] = TiedUnits(
            tie_id,
            holder,
            key,
            kind,
            inbound.id if inbound else None,
            units,
            since,
            inbound.ready_at if inbound else None,
        )
        return True

    async def add_preorder(
        self, holder: Holder, key: LevelKey, units: int, since: datetime, channel: str | None
    ) -> bool:
        if units > (await self.preorder_room(key.sku)).through(channel):
            return False
        self.s.preordered[key.sku] = self.s.preordered.get(key.sku, 0) + units
        if channel is not None and (key.sku, channel) in self._caps(key.sku):
            by_channel = (key.sku, channel)
            self.s.preordered_through[by_channel] = (
                self.s.preordered_through.get(by_channel, 0) + units
            )
        tie_id = max(self.s.ties, default=0) + 1
        self.s.ties[tie_id] = TiedUnits(
            tie_id, holder, key, SupplyKind.PREORDER, key.sku, units, since, None, channel
        )
        return True

    def _caps(self, sku: str) -> dict[tuple[str, str], int]:
        found = self.s.skus.get(sku)
        caps = found.policy.preorder_channel_caps if found else ()
        return {(sku, c.channel): c.cap for c in caps}

    async def unpromised(self, keys: Collection[LevelKey]) -> dict[LevelKey, int]:
        found = {k: sum(x.free for x in await self.inbound(k)) for k in keys}
        return {k: n for k, n in found.items() if n}

    async def preorder_room(self, sku: str) -> PreorderRoom:
        found = self.s.skus.get(sku)
        cap = found.policy.preorder_cap if found else 0
        return PreorderRoom(
            cap - self.s.preordered.get(sku, 0),
            {
                channel: c - self.s.preordered_through.get((sku, channel), 0)
                for (_, channel), c in self._caps(sku).items()
            },
        )

    async def reduce(self, tie: TiedUnits, units: int) -> None:
        stored = self.s.ties[tie.id]
        if units >= stored.quantity:
            del self.s.ties[tie.id]
        else:
            self.s.ties[tie.id] = replace(stored, quantity=stored.quantity - units)
        if stored.supply is SupplyKind.PREORDER:
            self.s.preordered[stored.key.sku] -= min(units, stored.quantity)
            by_channel = (stored.key.sku, stored.channel or "")
            if by_channel in self.s.preordered_through:
                self.s.preordered_through[by_channel] -= min(units, stored.quantity)
        elif stored.supply is not SupplyKind.NONE and stored.supply_id is not None:
            line = (stored.supply, stored.supply_id, stored.key.sku)
            self.s.promised[line] -= min(units, stored.quantity)

    def _sorted(self, ties: Iterable[TiedUnits]) -> list[TiedUnits]:
        return [
            replace(t, ready_at=self._ready(t.supply, t.supply_id))
            for t in sorted(ties, key=lambda t: (t.since, t.id))
        ]

    async def of_holders(self, holders: Collection[Holder]) -> list[TiedUnits]:
        wanted = set(holders)
        return self._sorted(t for t in self.s.ties.values() if t.holder in wanted)

    async def of_level(self, key: LevelKey) -> list[TiedUnits]:
        return self._sorted(t for t in self.s.ties.values() if t.key == key)

    async def of_supply(
        self, kind: SupplyKind, supply_id: str, sku: str | None = None
    ) -> list[TiedUnits]:
        return self._sorted(
            t
            for t in self.s.ties.values()
            if t.supply is kind and t.supply_id == supply_id and sku in (None, t.key.sku)
        )

    async def hand_over(self, source: Holder, target: Holder) -> bool:
        moved = False
        for tie_id, t in list(self.s.ties.items()):
            if t.holder == source:
                self.s.ties[tie_id] = replace(t, holder=target)
                moved = True
        return moved

    async def set_promised(self, order_id: str, ready: Mapping[LevelKey, datetime]) -> None:
        for key, at in ready.items():
            self.s.promised_ready[(order_id, key)] = at
