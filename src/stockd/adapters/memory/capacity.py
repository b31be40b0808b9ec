"""The in-memory fake of capacity pools, weeks and production bookings."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from stockd.domain.capacity import (
    CapacityPool,
    CapacityWeek,
    ProductionLine,
    SlotBooking,
    SlotStatus,
    pick_week,
)
from stockd.domain.weeks import IsoWeek


@dataclass
class BookedLine:
    line: ProductionLine
    slot_id: str | None
    order_id: str | None
    cancelled: bool = False
    produced: int = 0

    @property
    def booked(self) -> ProductionLine:
        """The line as the store reads it back."""
        return replace(self.line, cancelled=self.cancelled, produced=self.produced)


@dataclass
class CapacityData:
    pools: dict[str, CapacityPool] = field(default_factory=dict)
    weeks: dict[tuple[str, IsoWeek], CapacityWeek] = field(default_factory=dict)
    slots: dict[str, SlotBooking] = field(default_factory=dict)
    lines: list[BookedLine] = field(default_factory=list)

    def copy(self) -> CapacityData:
        return CapacityData(
            dict(self.pools),
            dict(self.weeks),
            dict(self.slots),
            [replace(x) for x in self.lines],
        )

    def order_lines(self, order_id: str) -> tuple[ProductionLine, ...]:
        return tuple(x.booked for x in self.lines if x.order_id == order_id)


class MemoryCapacity:
    def __init__(self, data: CapacityData) -> None:
        self.d = data

    async def add_pool(self, pool: CapacityPool, now: datetime) -> bool:
        if pool.id in self.d.pools:
            return False
        self.d.pools[pool.id] = replace(pool, version=1)
        return True

    async def pools(self, ids: Collection[str]) -> dict[str, CapacityPool]:
        return {i: self.d.pools[i] for i in ids if i in self.d.pools}

    async def lock_pools(self, ids: Collection[str]) -> None:
        return None

    async def lock_weeks(
        self, pool: str, weeks: Collection[IsoWeek]
    ) -> dict[IsoWeek, CapacityWeek]:
        return {w: self.d.weeks[(pool, w)] for w in sorted(weeks) if (pool, w) in self.d.weeks}

    async def set_units(self, pool: str, units: Mapping[IsoWeek, int]) -> None:
        for week, n in units.items():
            current = self.d.weeks.get((pool, week), CapacityWeek(pool, week))
            if n < current.held + current.committed:
                raise ValueError(f"{pool} {week}: capacity below what is booked")
            self.d.weeks[(pool, week)] = replace(current, units=n)

    async def weeks(self, pool: str, first: IsoWeek, last: IsoWeek | None) -> list[CapacityWeek]:
        return sorted(
            (
                w
                for (p, week), w in self.d.weeks.items()
                if p == pool and week >= first and (last is None or week <= last)
            ),
            key=lambda w: w.week,
        )

    async def take(
        self, pool: str, first: IsoWeek, last: IsoWeek, quantity: int, *, commit: bool
    ) -> CapacityWeek | None:
        free = {w.week: w.free for w in await self.weeks(pool, first, last)}
        week = pick_week(free, first, last - first + 1, quantity)
        if week is None:
            return None
        current = self.d.weeks[(pool, week)]
        after = (
            replace(current, committed=current.committed + quantity)
            if commit
            else replace(current, held=current.held + quantity)
        )
        self.d.weeks[(pool, week)] = after
        return after

    async def move(self, pool: str, week: IsoWeek, held: int, committed: int) -> bool:
        current = self.d.weeks.get((pool, week))
        if current is None:
            return False
        after = replace(current, held=current.held + held, committed=current.committed + committed)
        if after.held < 0 or after.committed < 0 or after.free < 0:
            return False
        self.d.weeks[(pool, week)] = after
        return True

    async def add_lines(
        self, lines: Sequence[ProductionLine], slot_id: str | None, order_id: str | None
    ) -> None:
        first = len(self.d.lines) + 1
        self.d.lines.extend(
            BookedLine(replace(x, id=first + i, promised_ready_at=x.promised), slot_id, order_id)
            for i, x in enumerate(lines)
        )

    async def add_slot(self, slot: SlotBooking) -> None:
        assert slot.id not in self.d.slots
        self.d.slots[slot.id] = slot
        await self.add_lines(slot.lines, slot.id, None)

    async def slot(self, slot_id: str, *, lock: bool = False) -> SlotBooking | None:
        return self.d.slots.get(slot_id)

    async def close_slot(
        self, slot_id: str, status: SlotStatus, now: datetime, order_id: str | None = None
    ) -> None:
        slot = self.d.slots[slot_id]
        if slot.status is not SlotStatus.ACTIVE:
            raise RuntimeError(f"slot booking {slot_id} was not active under lock")
        self.d.slots[slot_id] = replace(slot, status=status, closed_at=now, order_id=order_id)
        if order_id is not None:
            for x in self.d.lines:
                if x.slot_id == slot_id:
                    x.order_id = order_id

    async def set_slot_deadline(self, slot_id: str, expires_at: datetime) -> None:
        self.d.slots[slot_id] = replace(self.d.slots[slot_id], expires_at=expires_at)

    async def lock_due_slots(self, now: datetime, limit: int) -> list[SlotBooking]:
        due = [
            s
            for s in self.d.slots.values()
            if s.status is SlotStatus.ACTIVE and s.expires_at <= now
        ]
        return sorted(due, key=lambda s: (s.expires_at, s.id))[:limit]

    async def produce(self, line_id: int, quantity: int) -> bool:
        found = next((x for x in self.d.lines if x.line.id == line_id), None)
        if found is None or found.order_id is None or found.cancelled:
            return False
        if found.produced + quantity > found.line.quantity:
            return False
        found.produced += quantity
        return True

    async def cancel_order_lines(self, order_id: str) -> list[ProductionLine]:
        found = []
        for x in self.d.lines:
            if x.order_id == order_id and not x.cancelled:
                found.append(x.booked)
                x.cancelled = True
        return found
