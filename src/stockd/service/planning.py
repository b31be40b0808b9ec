"""From a request to a plan: which locations are eligible, what they hold,
and which strategy decides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from stockd import errors
from stockd.domain.allocation import (
    STRATEGIES,
    NeedsShipTo,
    OrderLine,
    Plan,
    PlanRequest,
    Site,
    Stock,
    Strategy,
)
from stockd.domain.catalog import Location
from stockd.domain.geo import Point
from stockd.domain.quantities import Level, LevelKey


@dataclass(frozen=True, slots=True)
class Placement:
    """How the caller wants units placed: where they go, by which strategy, or
    collected at one store."""

    ship_to: Point | None = None
    strategy: str | None = None
    pickup_location: str | None = None


def strategy_named(name: str | None, default: str) -> Strategy:
    chosen = name or default
    try:
        return STRATEGIES[chosen]
    except KeyError:
        raise errors.InvalidRequest(
            f"unknown strategy {chosen!r}; choose from {', '.join(sorted(STRATEGIES))}"
        ) from None


def exclusion(location: Location, placement: Placement) -> str | None:
    """Why `location` may not fulfil this request, or None if it may."""
    if placement.pickup_location is not None:
        return None if location.id == placement.pickup_location else "not the pickup store"
    if not location.active:
        return "inactive"
    if not location.ships:
        return "does not ship"
    return None


def check_pickup(location: Location | None, pickup: str) -> None:
    if location is None:
        raise errors.UnknownReference(f"unknown pickup location {pickup!r}")
    if not location.active:
        raise errors.InvalidRequest(f"pickup location {pickup!r} is inactive")
    if not location.pickup:
        raise errors.InvalidRequest(f"location {pickup!r} does not offer pickup")


def plan_request(
    lines: Sequence[OrderLine],
    levels: Iterable[Level],
    locations: Mapping[str, Location],
    placement: Placement,
    consumed: Mapping[LevelKey, int] | None = None,
    returned: Mapping[LevelKey, int] | None = None,
) -> PlanRequest:
    """The strategy's view: eligible sites and their stock, less what other
    lines of the same request already took (`consumed`), plus units the
    request itself gives back if re-planned (`returned`)."""
    consumed = consumed or {}
    returned = returned or {}
    skus = {line.sku for line in lines}
    sites: dict[str, Site] = {}
    excluded: dict[str, str] = {}
    stock: dict[str, dict[str, Stock]] = {sku: {} for sku in skus}
    for level in levels:
        key = level.key
        if key.sku not in skus:
            continue
        location = locations[key.location]
        why = exclusion(location, placement)
        if why is not None:
            excluded[key.location] = why
            continue
        if key.location not in sites:
            sites[key.location] = Site(
                location.id, location.priority, location.point, location.shipping_cost
            )
        available = level.available - consumed.get(key, 0) + returned.get(key, 0)
        stock[key.sku][key.location] = Stock(available, level.floor)
    return PlanRequest(tuple(lines), sites, stock, placement.ship_to, excluded)


def run(strategy: Strategy, request: PlanRequest) -> Plan:
    try:
        return strategy.plan(request)
    except NeedsShipTo as e:
        raise errors.InvalidRequest(str(e)) from None


def shortfall(plan: Plan) -> errors.InsufficientStock:
    short = [
        {"sku": line.sku, "location": None, "requested": line.requested, "available": line.placed}
        for line in plan.lines
        if line.shortfall
    ]
    return errors.InsufficientStock(
        "not enough stock for " + ", ".join(str(s["sku"]) for s in short),
        lines=short,
        skus=sorted(str(s["sku"]) for s in short),
    )
