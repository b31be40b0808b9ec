"""Delivery-date promises, made from the ATP staircase (`stockd.domain.atp`).

A unit from one ATP step is delivered by

    ready_on + handling + transit + delivery window + safety buffer

calendar days, where `ready_on` is the step's ready date in its location's
zone (today for stock on hand, the ETA's date for inbound, the Monday after
a production week), transit is the days from the location to the customer
(by the region table when it names both regions, else by distance, else a
default), the delivery window is the carrier's, and the safety buffer is
for supply that depends on a supplier or a workshop (inbound, production),
none for stock on the shelf. Dates are calendar dates, counted in the
shipping location's zone.

A line is promised the earliest date any choice of supply could keep: the
date by which enough units are delivered, taking them in order of their own
delivery date. Of the supply delivered by then it takes the fewest
shipments (the largest steps first). Anyone with the ATP steps and these
terms gets the same answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum

from stockd.domain.atp import Atp, Step
from stockd.domain.catalog import Location
from stockd.domain.geo import Point
from stockd.domain.supply import Source


class TransitBasis(StrEnum):
    REGION = "region"
    """The region table names the location's region and the customer's."""
    DISTANCE = "distance"
    """Great-circle kilometres at a set pace, at least the minimum days."""
    DEFAULT = "default"
    """Neither: the location has no region entry and no coordinates."""


@dataclass(frozen=True, slots=True)
class Destination:
    point: Point
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Transit:
    days: int
    basis: TransitBasis
    distance_km: float | None = None


@dataclass(frozen=True, slots=True)
class Terms:
    """How many days each part of a delivery takes (settings: docs/operations.md)."""

    handling_days: int = 1
    delivery_window_days: int = 2
    on_hand_buffer_days: int = 0
    supplier_buffer_days: int = 7
    transit_days: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Location region → customer region → days."""
    km_per_day: float = 500.0
    min_transit_days: int = 1
    default_transit_days: int = 5

    def __post_init__(self) -> None:
        whole = (
            self.handling_days,
            self.delivery_window_days,
            self.on_hand_buffer_days,
            self.supplier_buffer_days,
            self.min_transit_days,
            self.default_transit_days,
            *(d for row in self.transit_days.values() for d in row.values()),
        )
        if min(whole) < 0 or self.km_per_day <= 0:
            raise ValueError("days must not be negative and km_per_day must be positive")

    def buffer(self, source: Source) -> int:
        return self.on_hand_buffer_days if source is Source.ON_HAND else self.supplier_buffer_days

    def transit(self, origin: Location, to: Destination) -> Transit:
        if origin.region is not None and to.region is not None:
            days = self.transit_days.get(origin.region, {}).get(to.region)
            if days is not None:
                return Transit(days, TransitBasis.REGION)
        start = origin.point
        if start is None:
            return Transit(self.default_transit_days, TransitBasis.DEFAULT)
        km = start.km_to(to.point)
        days = max(self.min_transit_days, math.ceil(km / self.km_per_day))
        return Transit(days, TransitBasis.DISTANCE, round(km, 1))


@dataclass(frozen=True, slots=True)
class Leg:
    """Units of one ATP step, shipped from its location, and each term of
    their delivery date."""

    step: Step
    quantity: int
    handling_days: int
    transit: Transit
    delivery_window_days: int
    safety_buffer_days: int

    @property
    def days(self) -> int:
        return (
            self.handling_days
            + self.transit.days
            + self.delivery_window_days
            + self.safety_buffer_days
        )

    @property
    def deliver_by(self) -> date:
        return self.step.ready_on + timedelta(days=self.days)


@dataclass(frozen=True, slots=True)
class LinePromise:
    sku: str
    quantity: int
    legs: tuple[Leg, ...]

    @property
    def deliver_by(self) -> date:
        return max(leg.deliver_by for leg in self.legs)


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A line that cannot be promised: `promisable` of `requested` units,
    and why (`reason`)."""

    sku: str
    requested: int
    promisable: int
    reason: str


def promise(
    atp: Atp,
    quantity: int,
    to: Destination,
    locations: Mapping[str, Location],
    terms: Terms,
) -> LinePromise | Shortfall:
    """The earliest delivery of `quantity` units from `atp` to `to`, shipped
    from locations that ship, in the fewest shipments that keep that date; a
    `Shortfall` when the steps hold too few."""
    if quantity < 1:
        raise ValueError("a promise is for at least one unit")
    legs = [
        _leg(step, to, locations[step.location], terms)
        for step in atp.steps
        if locations[step.location].ships
    ]
    legs.sort(key=lambda leg: (leg.deliver_by, leg.step.ready_at, leg.step.cumulative))
    units, by = 0, None
    for leg in legs:
        units += leg.quantity
        if units >= quantity:
            by = leg.deliver_by
            break
    if by is None:
        return Shortfall(atp.sku, quantity, units, _why(atp, units))
    # Any supply delivered by then keeps the date: the fewest shipments are
    # the largest steps (their prefix is the largest sum of that many).
    eligible = sorted(
        (leg for leg in legs if leg.deliver_by <= by),
        key=lambda leg: (-leg.quantity, leg.deliver_by, leg.step.ready_at, leg.step.cumulative),
    )
    taken: list[Leg] = []
    wanted = quantity
    for leg in eligible:
        if wanted == 0:
            break
        take = min(wanted, leg.quantity)
        taken.append(replace(leg, quantity=take))
        wanted -= take
    taken.sort(key=lambda leg: (leg.deliver_by, leg.step.ready_at, leg.step.cumulative))
    return LinePromise(atp.sku, quantity, tuple(taken))


def _leg(step: Step, to: Destination, origin: Location, terms: Terms) -> Leg:
    return Leg(
        step,
        step.quantity,
        terms.handling_days,
        terms.transit(origin, to),
        terms.delivery_window_days,
        terms.buffer(step.source),
    )


def _why(atp: Atp, shippable: int) -> str:
    until = atp.until.date().isoformat()
    if not atp.steps:
        return f"no supply at all until {until}: nothing on hand, inbound or in production"
    found = ", ".join(f"{atp.of(s)} {s.value.replace('_', ' ')}" for s in Source if atp.of(s))
    if shippable < atp.total:
        return (
            f"only {shippable} can be shipped until {until} ({atp.total} in all: {found};"
            " the rest is at locations that do not ship)"
        )
    return f"only {shippable} can be had until {until} ({found})"
