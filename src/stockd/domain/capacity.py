"""Production capacity: what a workshop can make per ISO week, and who holds it.

A capacity pool (a workshop's line: upholstery, joinery…) has `units` per
week; made-to-order SKUs book units of a week in their pool. A week's units
are `held` by slot bookings (checkout holds with a deadline, like
reservations) or `committed` to orders; `free = units - held - committed`,
never below zero (PostgreSQL enforces it: `capacity_weeks` CHECK).

A booking line takes the earliest week, on or after the first one asked for,
with room for the whole line, looking `window` weeks ahead. Weeks are read on
the calendar of the pool's workshop (`Location.zone`): "this week" is
`IsoWeek.at(now, zone)`, and a week's units are ready when it ends there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from stockd.domain.reservations import ReservationStatus
from stockd.domain.supply import Source, Tie
from stockd.domain.weeks import IsoWeek

SlotStatus = ReservationStatus
"""Slot bookings live as reservations do: active → committed | released | expired."""


@dataclass(frozen=True, slots=True)
class CapacityPool:
    id: str
    location: str
    """The workshop: its time zone is the pool's calendar."""
    name: str
    lead_time_weeks: int = 0
    """Weeks from now before the first week a booking may take by default."""
    version: int = 1

    def first_week(self, now: datetime, zone: tzinfo) -> IsoWeek:
        """The first week a booking gets by default: this week + the lead time."""
        return IsoWeek.at(now, zone) + self.lead_time_weeks

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "location": self.location,
            "name": self.name,
            "lead_time_weeks": self.lead_time_weeks,
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class CapacityWeek:
    """One pool's week: capacity and where it went."""

    pool: str
    week: IsoWeek
    units: int = 0
    held: int = 0
    committed: int = 0

    @property
    def free(self) -> int:
        return self.units - self.held - self.committed

    def as_dict(self) -> dict[str, Any]:
        return {
            "week": str(self.week),
            "capacity": self.units,
            "held": self.held,
            "committed": self.committed,
            "free": self.free,
        }


@dataclass(frozen=True, slots=True)
class OptionPool:
    """Units of a SKU made with `option` = `value` (fabric: velvet) are made
    in `pool` rather than the SKU's own."""

    option: str
    value: str
    pool: str

    def as_dict(self) -> dict[str, str]:
        return {"option": self.option, "value": self.value, "pool": self.pool}


@dataclass(frozen=True, slots=True)
class ProductionLine:
    """Units of a SKU booked in one week of one pool (by a slot booking or an
    order). `ready_at`: when the week ends in the workshop's zone."""

    sku: str
    quantity: int
    pool: str
    week: IsoWeek
    ready_at: datetime
    location: str
    options: Mapping[str, str] = field(default_factory=dict)
    cancelled: bool = False
    """An order's line closed when the order was cancelled: its unproduced
    units went back to the week."""
    produced: int = 0
    """Units the workshop reported made: they are the order's committed
    stock at the workshop now."""
    promised_ready_at: datetime | None = None
    """The week's ready date when the line was booked (None: before it was
    kept)."""
    id: int | None = field(default=None, compare=False)
    """The store's handle on a booked line (None before it is stored)."""

    @property
    def reference(self) -> str:
        return supply_reference(self.pool, self.week)

    @property
    def unproduced(self) -> int:
        """Units still to make: none once the line is cancelled."""
        return 0 if self.cancelled else self.quantity - self.produced

    @property
    def promised(self) -> datetime:
        """The ready date promised for the line."""
        return self.promised_ready_at or self.ready_at

    def tie(self) -> Tie:
        return Tie(Source.PRODUCTION, self.quantity, self.ready_at, self.reference, self.location)

    def late(self, now: datetime) -> bool:
        """Units still to make after their week's end, or a week now ready
        later than promised."""
        return self.unproduced > 0 and (self.ready_at <= now or self.ready_at > self.promised)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "quantity": self.quantity,
            "options": dict(self.options),
            "pool": self.pool,
            "week": str(self.week),
            "ready_at": self.ready_at,
            "location": self.location,
        }


FIRST_YEAR, LAST_YEAR = 2000, 9000
"""The years a capacity week may be in: far enough from the calendar's ends
that a window or a range of weeks never runs off it."""


def parse_week(text: str) -> IsoWeek:
    """A week as a caller writes it (`2027-W03`); ValueError saying what is
    wrong with it otherwise."""
    try:
        week = IsoWeek.parse(text)
    except ValueError as e:
        why = str(e)
        raise ValueError(
            why if repr(text) in why else f"{text!r} is not an ISO week: {why}"
        ) from None
    if not FIRST_YEAR <= week.year <= LAST_YEAR:
        raise ValueError(f"{text!r}: capacity weeks lie in the years {FIRST_YEAR}-{LAST_YEAR}")
    return week


def ready_at(week: IsoWeek, zone: tzinfo) -> datetime:
    """When units made in `week` are ready: the week's end in the workshop's
    zone (the next Monday 00:00 there), in UTC."""
    return week.ends_at(zone).astimezone(UTC)


def supply_reference(pool: str, week: IsoWeek) -> str:
    """How a `Tie` names a production week: `pool:<id>/<YYYY-Www>`."""
    return f"pool:{pool}/{week}"


@dataclass(frozen=True, slots=True)
class SlotBooking:
    id: str
    status: SlotStatus
    lines: tuple[ProductionLine, ...]
    created_at: datetime
    expires_at: datetime
    reference: str | None = None
    order_id: str | None = None
    closed_at: datetime | None = None

    def status_at(self, now: datetime) -> SlotStatus:
        """An active booking past its deadline is expired, whether or not the
        expiry worker has got to it yet."""
        if self.status is SlotStatus.ACTIVE and self.expires_at <= now:
            return SlotStatus.EXPIRED
        return self.status


def pick_week(
    free: Mapping[IsoWeek, int], first: IsoWeek, window: int, quantity: int
) -> IsoWeek | None:
    """The earliest of the `window` weeks from `first` whose free units (none
    when absent) take `quantity` whole; None when none does."""
    for i in range(window):
        week = first + i
        if free.get(week, 0) >= quantity:
            return week
    return None


def earliest_after(free: Mapping[IsoWeek, int], after: IsoWeek, quantity: int) -> IsoWeek | None:
    """The earliest week later than `after` that takes `quantity` whole."""
    return min((w for w, f in free.items() if w > after and f >= quantity), default=None)
