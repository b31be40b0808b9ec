"""The read side: what the API and CLI show. Reads never lock and never write.

Quantities are shown *live*: a hold past its deadline no longer counts as
reserved, even before the expiry worker has closed it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from stockd.domain.capacity import CapacityPool, CapacityWeek, SlotBooking
from stockd.domain.catalog import Location, Sku
from stockd.domain.channels import Channel, PoolShare, SkuChannels
from stockd.domain.events import Event, location_of, sku_of
from stockd.domain.inbound import PurchaseOrder
from stockd.domain.orders import Order
from stockd.domain.promises import Holder, TiedUnits
from stockd.domain.quantities import Level, LevelKey
from stockd.domain.reservations import Reservation
from stockd.domain.transfers import Transfer
from stockd.domain.weeks import IsoWeek
from stockd.service.batching import GroupRead
from stockd.service.listing import (
    AtRisk,
    OrderFilter,
    Position,
    PurchaseOrderFilter,
    ReservationFilter,
    ReturnFilter,
    SaleFilter,
    TransferFilter,
)
from stockd.service.ports import Clock, ReturnRecord, SaleRecord


@dataclass(frozen=True, slots=True)
class Promises:
    """What stands behind a holder's backordered units."""

    ties: tuple[TiedUnits, ...] = ()
    promised: Mapping[LevelKey, datetime] = field(default_factory=dict)
    """Per order line: the ready date promised when the order was placed."""

    def at(self, key: LevelKey) -> tuple[TiedUnits, ...]:
        return tuple(t for t in self.ties if t.key == key)


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    seq: int
    event: Event


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a reader wants: all of them when nothing is set; else
    those that match every given field (`types` or `families` when either is
    set: an exact type, or any type of a family such as `order`)."""

    types: frozenset[str] = frozenset()
    families: frozenset[str] = frozenset()
    sku: str | None = None
    location: str | None = None
    order_id: str | None = None
    reservation_id: str | None = None

    def matches(self, e: Event) -> bool:
        if (self.types or self.families) and not (
            e.type in self.types or e.type.split(".", 1)[0] in self.families
        ):
            return False
        return (
            (self.sku is None or sku_of(e) == self.sku)
            and (self.location is None or location_of(e) == self.location)
            and (self.order_id is None or e.order_id == self.order_id)
            and (self.reservation_id is None or e.reservation_id == self.reservation_id)
        )


@dataclass(frozen=True, slots=True)
class LocatedLevel:
    level: Level
    location: Location


@dataclass(frozen=True, slots=True)
class Discrepancy:
    check: str
    subject: str
    detail: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    events: int
    levels: int
    discrepancies: tuple[Discrepancy, ...]

    @property
    def clean(self) -> bool:
        return not self.discrepancies


@dataclass(frozen=True, slots=True)
class SkuStock:
    """A SKU with the units available over its usable locations (active,
    not archived), and how many of those have a level of it."""

    sku: str
    name: str
    available: int
    locations: int


@dataclass(frozen=True, slots=True)
class Overview:
    """The state of the whole inventory at a glance (the dashboard's header).

    `skus` and `locations` count the ones not archived; `out_of_stock` (total
    available ≤ 0) and `low_stock` (0 < available < the threshold) list
    those SKUs lowest first, capped; `*_count` say how many there are in all."""

    skus: int
    locations: int
    active_reservations: int
    ledger_head: int
    out_of_stock_count: int
    low_stock_count: int
    out_of_stock: tuple[SkuStock, ...]
    low_stock: tuple[SkuStock, ...]


class ReadModel(Protocol):
    async def sku(self, code: str) -> Sku | None: ...

    async def skus(self, after: str | None, limit: int, *, archived: bool = False) -> list[Sku]:
        """SKUs by code after `after`: the archived ones, or the others."""
        ...

    async def location(self, location_id: str) -> Location | None: ...

    async def locations(
        self, after: str | None, limit: int, *, archived: bool = False
    ) -> list[Location]:
        """Locations by id after `after`: the archived ones, or the others."""
        ...

    async def channel(self, channel_id: str) -> Channel | None: ...

    async def channels(self, after: str | None, limit: int) -> list[Channel]:
        """Channels by id after `after`."""
        ...

    async def channel_pools(self, sku: str) -> list[PoolShare]:
        """A SKU's pools, by channel id."""
        ...

    async def channel_stock(self, skus: Collection[str]) -> dict[str, SkuChannels]:
        """Each existing SKU's stock as the channels see it (as committed; no
        lock)."""
        ...

    async def share_pooled_skus(self, after: str | None, limit: int) -> list[str]:
        """SKUs (by code, after `after`) with a percentage pool of their own:
        the ones the rebalancer may move."""
        ...

    async def levels(
        self,
        now: datetime,
        *,
        sku: str | None,
        location: str | None,
        after: LevelKey | None,
        limit: int,
    ) -> list[Level]: ...

    async def availability_of(
        self, now: datetime, skus: Collection[str]
    ) -> dict[str, list[LocatedLevel]]:
        """Per SKU, its levels live with their locations, by location
        priority then id (an empty list for a SKU without levels; SKUs that
        do not exist are left out). One query."""
        ...

    async def levels_of(self, now: datetime, skus: Collection[str]) -> list[Level]:
        """Every level of these SKUs, live."""
        ...

    async def locations_by_id(self, ids: Collection[str]) -> dict[str, Location]: ...

    async def order(self, order_id: str) -> Order | None: ...

    async def transfer(self, transfer_id: str) -> Transfer | None: ...

    async def reservation(self, reservation_id: str) -> Reservation | None: ...

    async def capacity_pool(self, pool_id: str) -> CapacityPool | None: ...

    async def capacity_pools(self, after: str | None, limit: int) -> list[CapacityPool]:
        """Capacity pools by id after `after`."""
        ...

    async def capacity_weeks(self, pool: str, first: IsoWeek, last: IsoWeek) -> list[CapacityWeek]:
        """The weeks of `pool` from `first` to `last` that have capacity set."""
        ...

    async def slot(self, slot_id: str) -> SlotBooking | None: ...
    async def purchase_order(self, purchase_order_id: str) -> PurchaseOrder | None: ...

    # Lists, newest first (`stockd.service.listing`): up to `limit` items
    # that match and sort below `after`, in one round trip each.

    async def orders(
        self, only: OrderFilter, after: Position | None, limit: int
    ) -> list[Order]: ...

    async def reservations(
        self, now: datetime, only: ReservationFilter, after: Position | None, limit: int
    ) -> list[Reservation]: ...

    async def transfers(
        self, only: TransferFilter, after: Position | None, limit: int
    ) -> list[Transfer]: ...

    async def sales(
        self, only: SaleFilter, after: Position | None, limit: int
    ) -> list[SaleRecord]: ...

    async def purchase_orders(
        self, only: PurchaseOrderFilter, after: Position | None, limit: int
    ) -> list[PurchaseOrder]: ...

    async def promises(self, holder: Holder) -> Promises:
        """The ties of a hold's or an order's backordered units, and (for an
        order) the ready date each line was promised when placed."""
        ...

    async def unpromised(self, keys: Collection[LevelKey]) -> dict[LevelKey, int]:
        """Open inbound not yet promised at each level (levels with none left
        out): how far a quote lets a backorder level go below zero."""
        ...

    async def at_risk(self, now: datetime, after: Position | None, limit: int) -> list[AtRisk]:
        """Open orders whose backordered units are now ready later than
        promised when they were placed (or have no date left), or whose
        made-to-order lines are late as of `now` (`ProductionLine.late`),
        newest first."""
        ...

    async def returns(
        self, only: ReturnFilter, after: Position | None, limit: int
    ) -> list[ReturnRecord]: ...

    async def events(
        self, after: int, limit: int, only: EventFilter | None = None
    ) -> list[LedgerRecord]:
        """Ledger records with seq > after that match `only`, in seq order.
        Records get their seq in commit order, so a reader paging by `after`
        never skips one."""
        ...

    async def ledger_head(self) -> int:
        """The seq of the last committed event (0 when none): every event up
        to it is committed and readable."""
        ...

    async def verify(self) -> VerifyReport:
        """Replay the ledger and compare it with the levels and the holds."""
        ...

    async def stats(self, now: datetime) -> dict[str, int]: ...

    async def overview(self, now: datetime, low_stock_below: int, limit: int) -> Overview:
        """Counts and the SKUs (not archived) out of stock or low, by their
        live `available` summed over the usable locations as availability
        totals it (a SKU stocked nowhere has 0), lowest first then by code,
        at most `limit` of each."""
        ...


class AvailabilityReader:
    """Availability of one SKU at a time (concurrent asks share one query),
    or of many at once (one query)."""

    def __init__(self, reads: ReadModel, clock: Clock) -> None:
        self.reads = reads
        self.clock = clock
        self._group: GroupRead[str, list[LocatedLevel] | None] = GroupRead(self._fetch)

    async def of(self, sku: str) -> list[LocatedLevel] | None:
        """The SKU's levels with their locations; None if it does not exist."""
        return await self._group.get(sku)

    async def of_many(self, skus: Sequence[str]) -> dict[str, list[LocatedLevel]]:
        """`of` for each SKU that exists."""
        return await self.reads.availability_of(self.clock.now(), skus)

    async def _fetch(self, skus: list[str]) -> dict[str, list[LocatedLevel] | None]:
        found = await self.reads.availability_of(self.clock.now(), skus)
        return {sku: found.get(sku) for sku in skus}
