"""The in-memory store: unit of work, read model, keys and maintenance."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Self

from stockd.adapters.memory.state import (
    MemoryCatalog,
    MemoryIdempotency,
    MemoryLedger,
    MemoryLevels,
    MemoryOrders,
    MemoryReservations,
    MemorySales,
    MemoryTransfers,
    State,
)
from stockd.domain.catalog import Location, Sku
from stockd.domain.orders import Order
from stockd.domain.quantities import Level, LevelKey, Quantities
from stockd.domain.quantities import State as QState
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.domain.transfers import Transfer
from stockd.service.auth import ApiKey
from stockd.service.queries import (
    Discrepancy,
    LedgerRecord,
    LocatedLevel,
    VerifyReport,
)


class MemoryStore:
    def __init__(self) -> None:
        self.state = State()
        self.lock = asyncio.Lock()

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
    sales: MemorySales

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
        self.sales = MemorySales(self.work)
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
        self.work = self.work.copy()
        self._rebind()
        self.committed = True

    def _rebind(self) -> None:
        self.catalog.s = self.levels.s = self.reservations.s = self.work
        self.ledger.s = self.idempotency.s = self.work
        self.orders.s = self.transfers.s = self.sales.s = self.work


def _overdue(state: State, now: datetime) -> dict[LevelKey, int]:
    held: dict[LevelKey, int] = defaultdict(int)
    for r in state.reservations.values():
        if r.status is ReservationStatus.ACTIVE and r.expires_at <= now:
            for line in r.lines:
                held[LevelKey(line.sku, line.location)] += line.quantity
    return held


def _live(level: Level, overdue: dict[LevelKey, int]) -> Level:
    q = level.quantities
    return Level(
        level.key,
        q.with_value(QState.RESERVED, q.reserved - overdue.get(level.key, 0)),
        level.floor,
        level.version,
    )


class MemoryReadModel:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    @property
    def s(self) -> State:
        return self.store.state

    async def sku(self, code: str) -> Sku | None:
        return self.s.skus.get(code)

    async def skus(self, after: str | None, limit: int) -> list[Sku]:
        return [v for k, v in sorted(self.s.skus.items()) if k > (after or "")][:limit]

    async def location(self, location_id: str) -> Location | None:
        return self.s.locations.get(location_id)

    async def locations(self, after: str | None, limit: int) -> list[Location]:
        return [v for k, v in sorted(self.s.locations.items()) if k > (after or "")][:limit]

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
        found: dict[str, list[LocatedLevel]] = {sku: [] for sku in skus}
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
        return self.s.orders.get(order_id)

    async def order_events(self, order_id: str) -> list[LedgerRecord]:
        return [
            LedgerRecord(seq, m)
            for seq, m in enumerate(self.s.events, start=1)
            if m.order_id == order_id
        ]

    async def transfer(self, transfer_id: str) -> Transfer | None:
        return self.s.transfers.get(transfer_id)

    async def reservation(self, reservation_id: str) -> Reservation | None:
        return self.s.reservations.get(reservation_id)

    async def events(
        self, after: int, limit: int, *, sku: str | None, location: str | None
    ) -> list[LedgerRecord]:
        return [
            LedgerRecord(seq, m)
            for seq, m in enumerate(self.s.events, start=1)
            if seq > after
            and (sku is None or m.key.sku == sku)
            and (location is None or m.key.location == location)
        ][:limit]

    async def verify(self) -> VerifyReport:
        found: list[Discrepancy] = []
        replay: dict[LevelKey, Quantities] = defaultdict(Quantities)
        for seq, m in enumerate(self.s.events, start=1):
            replay[m.key] = replay[m.key] + m.delta
            if replay[m.key] != m.after:
                found.append(Discrepancy("chain", str(m.key), f"event {seq}: after differs"))
        for key in sorted(set(replay) | set(self.s.levels)):
            level = self.s.levels.get(key)
            if level is None or level.quantities != replay.get(key, Quantities()):
                found.append(Discrepancy("replay", str(key), "level differs from replay"))
        held: dict[LevelKey, int] = defaultdict(int)
        for r in self.s.reservations.values():
            if r.status is ReservationStatus.ACTIVE:
                for line in r.lines:
                    held[LevelKey(line.sku, line.location)] += line.quantity
        for key in sorted(set(held) | set(self.s.levels)):
            reserved = self.s.levels[key].quantities.reserved if key in self.s.levels else 0
            if reserved != held.get(key, 0):
                found.append(Discrepancy("holds", str(key), "reserved differs from holds"))
        owed: dict[LevelKey, int] = defaultdict(int)
        for order in self.s.orders.values():
            for owed_line in order.lines:
                owed[LevelKey(owed_line.sku, owed_line.location)] += owed_line.committed
        for key in sorted(set(owed) | set(self.s.levels)):
            committed = self.s.levels[key].quantities.committed if key in self.s.levels else 0
            if committed != owed.get(key, 0):
                found.append(Discrepancy("orders", str(key), "committed differs from orders"))
        return VerifyReport(len(self.s.events), len(self.s.levels), tuple(found))

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


class MemoryApiKeyStore:
    def __init__(self) -> None:
        self.keys: dict[str, tuple[ApiKey, bytes]] = {}

    async def add(self, key: ApiKey, digest: bytes) -> None:
        if key.id in self.keys or any(d == digest for _, d in self.keys.values()):
            raise ValueError("duplicate key")
        self.keys[key.id] = (key, digest)

    async def find(self, digest: bytes, *, include_revoked: bool = False) -> ApiKey | None:
        return next(
            (
                k
                for k, d in self.keys.values()
                if d == digest and (include_revoked or k.revoked_at is None)
            ),
            None,
        )

    async def all(self) -> list[ApiKey]:
        return sorted((k for k, _ in self.keys.values()), key=lambda k: k.created_at)

    async def revoke(self, key_id: str, now: datetime) -> bool:
        found = self.keys.get(key_id)
        if found is None or found[0].revoked_at is not None:
            return False
        self.keys[key_id] = (replace(found[0], revoked_at=now), found[1])
        return True

    async def count_active(self) -> int:
        return sum(k.revoked_at is None for k, _ in self.keys.values())


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
