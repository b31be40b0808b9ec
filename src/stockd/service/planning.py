"""From a request to a plan: which locations are eligible, what they hold,
and which strategy decides."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from stockd import errors
from stockd.domain.allocation import (
    REJECTIONS_SHOWN,
    STRATEGIES,
    NeedsShipTo,
    OrderLine,
    Plan,
    PlanRequest,
    Rejection,
    Site,
    Stock,
    Strategy,
)
from stockd.domain.catalog import Location
from stockd.domain.geo import Point
from stockd.domain.quantities import Level, LevelKey
from stockd.service import overdue


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
            errors.Issue(
                f"unknown strategy {chosen!r}; choose from {', '.join(sorted(STRATEGIES))}",
                "strategy",
            )
        ) from None


OUT_OF_USE = frozenset({"archived", "inactive"})
"""Exclusions a plan explains: locations taken out of use, rather than ones
that merely cannot serve this request (not shipping, not the pickup store)."""


def exclusion(location: Location, placement: Placement) -> str | None:
    """Why `location` may not fulfil this request, or None if it may."""
    if placement.pickup_location is not None:
        return None if location.id == placement.pickup_location else "not the pickup store"
    if location.archived:
        return "archived"
    if not location.active:
        return "inactive"
    if not location.ships:
        return "does not ship"
    return None


def check_pickup(location: Location | None, pickup: str) -> None:
    if location is None:
        raise errors.UnknownReference(
            errors.Issue(f"unknown pickup location {pickup!r}", "pickup_location")
        )
    if location.archived:
        raise errors.InvalidRequest(
            errors.Issue(f"pickup location {pickup!r} is archived", "pickup_location")
        )
    if not location.active:
        raise errors.InvalidRequest(
            errors.Issue(f"pickup location {pickup!r} is inactive", "pickup_location")
        )
    if not location.pickup:
        raise errors.InvalidRequest(
            errors.Issue(f"location {pickup!r} does not offer pickup", "pickup_location")
        )


def plan_request(
    lines: Sequence[OrderLine],
    levels: Iterable[Level],
    locations: Mapping[str, Location],
    placement: Placement,
    consumed: Mapping[LevelKey, int] | None = None,
    returned: Mapping[LevelKey, int] | None = None,
    inbound: Mapping[LevelKey, int] | None = None,
) -> PlanRequest:
    """The strategy's view: eligible sites and their stock, less what other
    lines of the same request already took (`consumed`), plus units the
    request itself gives back if re-planned (`returned`). A backorder level
    in `inbound` may go below zero only as far as its open inbound not yet
    promised (`placing.beyond_stock`) as well as its floor: a backorder
    sells only against inbound, so a site without any cannot take one."""
    consumed = consumed or {}
    returned = returned or {}
    adjust = bool(consumed or returned)
    skus = {line.sku for line in lines}
    sites: dict[str, Site] = {}
    excluded: dict[str, str] = {}
    unusable: dict[str, list[str]] = defaultdict(list)
    stock: dict[str, dict[str, Stock]] = {sku: {} for sku in skus}
    # Hot loop (a quote may see tens of thousands of levels): decide each
    # location once, and read counters directly.
    eligible: dict[str, bool] = {}
    for level in levels:
        key = level.key
        sku, location_id = key.sku, key.location
        if sku not in skus:
            continue
        ok = eligible.get(location_id)
        if ok is None:
            location = locations[location_id]
            why = exclusion(location, placement)
            ok = eligible[location_id] = why is None
            if why is not None:
                excluded[location_id] = why
            else:
                sites[location_id] = Site(
                    location.id, location.priority, location.point, location.shipping_cost
                )
        if not ok:
            if excluded[location_id] in OUT_OF_USE:
                unusable[sku].append(location_id)
            continue
        available = level.quantities.available
        if adjust:
            available += returned.get(key, 0) - consumed.get(key, 0)
        floor = level.floor
        if inbound and key in inbound:
            floor = max(floor, min(available, 0) - inbound[key])
        stock[sku][location_id] = Stock(available, floor)
    return PlanRequest(
        tuple(lines),
        sites,
        stock,
        placement.ship_to,
        excluded,
        {sku: tuple(sorted(found)) for sku, found in unusable.items()},
    )


def backorder_levels(levels: Iterable[Level], backorder: Collection[str]) -> list[LevelKey]:
    """The levels of these `backorder`-policy SKUs that may go below zero:
    those whose open inbound a plan counts (`plan_request`'s `inbound`)."""
    return [level.key for level in levels if level.floor < 0 and level.key.sku in backorder]


@dataclass(frozen=True, slots=True)
class Planned:
    """A strategy's plan and the request it answered: its distance and cost
    are measured against that request's sites and ship-to point, so whoever
    shows the plan needs both."""

    plan: Plan
    request: PlanRequest

    @property
    def distance_units(self) -> float | None:
        """Units x km to the ship-to point; None without one (or coordinates)."""
        return self.plan.distance_units(self.request)

    @property
    def shipping_cost(self) -> float | None:
        return self.plan.cost(self.request)


def run(strategy: Strategy, request: PlanRequest) -> Planned:
    try:
        return Planned(explained(strategy.plan(request), request), request)
    except NeedsShipTo as e:
        raise errors.InvalidRequest(errors.Issue(str(e), "ship_to")) from None


def explained(plan: Plan, request: PlanRequest) -> Plan:
    """The plan with, among each line's rejections (as room allows; the rest
    counted), the locations holding its SKU that are out of use, and why:
    `archived` or `inactive`. Strategies never see those locations, so only
    this step can say why they were not chosen."""
    if not request.unusable:
        return plan
    lines = []
    for line in plan.lines:
        found = request.unusable.get(line.sku, ())
        room = max(REJECTIONS_SHOWN - len(line.rejected), 0)
        shown = tuple(Rejection(site, request.excluded[site]) for site in found[:room])
        lines.append(
            replace(
                line,
                rejected=line.rejected + shown,
                others_rejected=line.others_rejected + len(found) - len(shown),
            )
        )
    return replace(plan, lines=tuple(lines))


def shortfall(plan: Plan) -> errors.InsufficientStock:
    short = [
        errors.ShortLine(line.sku, None, line.requested, line.placed)
        for line in plan.lines
        if line.shortfall
    ]
    return overdue.shortage("not enough stock for " + ", ".join(x.sku for x in short), short)
