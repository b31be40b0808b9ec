"""Available-to-promise: how many units of a SKU can be sold by when, and
from which supply (`stockd.domain.supply`).

ATP is a staircase. Each step is one supply becoming ready — stock on hand
now, an inbound lot at its ETA, a production week when it ends in its
workshop's zone — and adds the units of it that nobody holds yet, so the
cumulative figure never counts a unit twice:

- on hand: the location's `available` (held and unsellable units are already
  left out of it); a negative `available` (units sold beyond stock under
  backorder) is owed, not offered;
- inbound: the lot's open units, less those already promised to backorders
  (`promised`, the units tied to it) and less what the owed units above that
  no lot is tied to yet take: each takes the earliest lot that covers it, at
  its own location first, then anywhere (first come, first served);
- production: the week's free units (capacity less held and committed).

Times are instants (aware datetimes); each step also carries the calendar
date it is ready on in its location's zone (`ready_on`), which is what a
promise counts days from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from stockd.domain.catalog import Location, Sku
from stockd.domain.supply import Source
from stockd.domain.weeks import IsoWeek


@dataclass(frozen=True, slots=True)
class Stock:
    """A SKU's units at a location now. `available` below zero: units sold
    beyond stock (backorders) still owed there."""

    location: str
    available: int


@dataclass(frozen=True, slots=True)
class InboundLot:
    """Units on their way to `location`, due at `eta`: a purchase order line
    (`po:<id>`) or a transfer in flight (`transfer:<id>`). `promised` of its
    `open` units are already tied to backorders."""

    reference: str
    location: str
    eta: datetime
    open: int
    promised: int = 0

    def __post_init__(self) -> None:
        if self.open < 0 or not 0 <= self.promised <= self.open:
            raise ValueError(
                f"{self.reference}: promised {self.promised} of {self.open} open units"
            )


@dataclass(frozen=True, slots=True)
class ProductionWeek:
    """Capacity a pool has left (`free`) in one ISO week at its workshop
    (`location`): units made then are ready when the week ends there."""

    pool: str
    location: str
    week: IsoWeek
    free: int

    def __post_init__(self) -> None:
        if self.free < 0:
            raise ValueError(f"{self.reference}: free capacity {self.free} is negative")

    @property
    def reference(self) -> str:
        return f"pool:{self.pool}/{self.week}"


@dataclass(frozen=True, slots=True)
class Supply:
    """Everything one SKU can be sold from, as read at one moment. `locations`
    holds every location the stock, lots and weeks name."""

    sku: Sku
    locations: Mapping[str, Location]
    stock: tuple[Stock, ...] = ()
    inbound: tuple[InboundLot, ...] = ()
    production: tuple[ProductionWeek, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """`quantity` units from one supply, ready at `ready_at` (on `ready_on`
    in the location's zone); `cumulative`: units sellable by then, this step's
    included."""

    ready_at: datetime
    ready_on: date
    source: Source
    reference: str | None
    location: str
    quantity: int
    cumulative: int


@dataclass(frozen=True, slots=True)
class Atp:
    sku: str
    as_of: datetime
    until: datetime
    location: str | None
    """Only this location's supply is shown (None: every usable location)."""
    steps: tuple[Step, ...]
    unbacked: int
    """Units sold beyond stock that no inbound lot in view covers: they take
    nothing from the steps, and are owed all the same."""

    @property
    def total(self) -> int:
        return self.steps[-1].cumulative if self.steps else 0

    def by(self, moment: datetime) -> int:
        """Units sellable by `moment`."""
        return max((s.cumulative for s in self.steps if s.ready_at <= moment), default=0)

    def of(self, source: Source) -> int:
        return sum(s.quantity for s in self.steps if s.source is source)


_ORDER = {Source.ON_HAND: 0, Source.INBOUND: 1, Source.PRODUCTION: 2}


def available_to_promise(
    supply: Supply, now: datetime, until: datetime, location: str | None = None
) -> Atp:
    """The ATP staircase of `supply` from `now` to `until` (inclusive), at
    `location` only when given. Only usable locations (active, not
    archived) offer units; owed units are taken from inbound wherever they
    are, before any location filter applies."""
    places = supply.locations
    remaining = [lot.open - lot.promised for lot in supply.inbound]
    unbacked = _cover_backorders(supply, remaining)

    def shown(at: str) -> bool:
        place = places.get(at)
        return place is not None and place.usable and (location is None or at == location)

    found: list[tuple[datetime, Source, str | None, str, int]] = []
    for s in supply.stock:
        if s.available > 0 and shown(s.location):
            found.append((now, Source.ON_HAND, None, s.location, s.available))
    for lot, units in zip(supply.inbound, remaining, strict=True):
        if units > 0 and lot.eta <= until and shown(lot.location):
            found.append((max(lot.eta, now), Source.INBOUND, lot.reference, lot.location, units))
    for week in supply.production:
        if week.free <= 0 or not shown(week.location):
            continue
        ends = week.week.ends_at(places[week.location].zone)
        if now < ends <= until:
            found.append((ends, Source.PRODUCTION, week.reference, week.location, week.free))

    def order(
        x: tuple[datetime, Source, str | None, str, int],
    ) -> tuple[datetime, int, int, str, str]:
        at, source, reference, where, _ = x
        return (at, _ORDER[source], places[where].priority, where, reference or "")

    steps: list[Step] = []
    total = 0
    for at, source, reference, where, units in sorted(found, key=order):
        total += units
        day = at.astimezone(places[where].zone).date()
        steps.append(Step(at.astimezone(UTC), day, source, reference, where, units, total))
    return Atp(supply.sku.sku, now, until, location, tuple(steps), unbacked)


def _cover_backorders(supply: Supply, remaining: list[int]) -> int:
    """Take each location's owed units from the inbound lots (`remaining`,
    their units not yet promised, by index; changed in place): that
    location's lots first, then any, earliest ETA first. The units no lot
    covers."""
    owed: dict[str, int] = {}
    for s in supply.stock:
        if s.available < 0:
            owed[s.location] = owed.get(s.location, 0) - s.available
    # Units tied to a lot are owed too, but the lot already counts them
    # (`promised`): only the rest (preordered, or left without inbound by a
    # cut) still take from the lots.
    for lot in supply.inbound:
        if lot.location in owed:
            owed[lot.location] = max(owed[lot.location] - lot.promised, 0)
    lots = sorted(
        range(len(supply.inbound)),
        key=lambda i: (supply.inbound[i].eta, supply.inbound[i].reference),
    )
    for local in (True, False):
        for at in sorted(owed):
            for i in lots:
                if owed[at] == 0:
                    break
                if local and supply.inbound[i].location != at:
                    continue
                taken = min(owed[at], remaining[i])
                remaining[i] -= taken
                owed[at] -= taken
    return sum(owed.values())
