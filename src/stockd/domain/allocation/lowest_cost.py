"""`lowest_cost`: the cheapest plan under each location's shipping cost
(a fixed amount per shipment + an amount per km and unit).

The strategy prices several candidate plans — the cheapest single location
that fills the whole order, a greedy plan by marginal cost (opening a new
shipment costs its fixed amount), and the `nearest`, `priority` and
`fewest_shipments` plans — and keeps the cheapest. Locations without
coordinates cannot be priced and are not used.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping

from stockd.domain.allocation.base import (
    REJECTIONS_SHOWN,
    Allocation,
    LinePlan,
    NeedsShipTo,
    Plan,
    PlanRequest,
    Rejection,
    shipping_cost,
)
from stockd.domain.allocation.fewest_shipments import FewestShipmentsStrategy
from stockd.domain.allocation.nearest import NearestStrategy
from stockd.domain.allocation.priority import PriorityStrategy


class LowestCostStrategy:
    name = "lowest_cost"

    def plan(self, request: PlanRequest) -> Plan:
        if request.ship_to is None:
            raise NeedsShipTo("strategy 'lowest_cost' needs ship_to")
        priced = _priced_only(request)
        candidates = [
            ("one location", self._single_source(priced)),
            ("greedy by marginal cost", self._greedy(priced)),
            ("nearest", NearestStrategy().plan(priced)),
            ("priority", PriorityStrategy().plan(priced)),
            ("fewest shipments", FewestShipmentsStrategy().plan(priced)),
        ]
        scored = [
            (p.shortfall, _cost(p, priced), len(p.shipments), i, name, p)
            for i, (name, p) in enumerate(candidates)
            if p is not None
        ]
        _, cost, _, _, name, best = min(scored)
        return self._explain(best, priced, f"cheapest of {len(scored)} plans ({name})", cost)

    def objective(self, shipments: Mapping[str, Mapping[str, int]], request: PlanRequest) -> float:
        cost = shipping_cost(shipments, request)
        return math.inf if cost is None else cost

    def _single_source(self, request: PlanRequest) -> Plan | None:
        full: set[str] | None = None
        for line in request.lines:
            able = {
                s for s, st in request.stock_of(line.sku).items() if st.available >= line.quantity
            }
            full = able if full is None else full & able
            if not full:
                return None
        if not full:
            return None
        units = sum(line.quantity for line in request.lines)
        km = request.distances
        best = min(full, key=lambda s: (request.sites[s].cost.of(km[s], units), s))
        return Plan(
            self.name,
            tuple(
                LinePlan(line.sku, line.quantity, (Allocation(best, line.quantity, ""),))
                for line in request.lines
            ),
        )

    def _greedy(self, request: PlanRequest) -> Plan:
        km = request.distances
        sites = request.sites
        per_unit = {site: sites[site].cost.per_km_unit * km[site] for site in sites}
        opened: set[str] = set()
        lines = []
        for line in sorted(request.lines, key=lambda x: -x.quantity):
            stock = request.stock_of(line.sku)
            left = {s: st.available for s, st in stock.items() if st.available > 0}
            taken: dict[str, int] = {}
            remaining = line.quantity
            while remaining and left:
                # Cost per unit of taking what a site can give: its per-unit
                # rate, plus its fixed cost spread over those units if the
                # order does not ship from it yet.
                _, _, best = min(
                    (
                        per_unit[s]
                        + (0.0 if s in opened else sites[s].cost.fixed / min(a, remaining)),
                        sites[s].priority,
                        s,
                    )
                    for s, a in left.items()
                )
                take = min(left.pop(best), remaining)
                taken[best] = taken.get(best, 0) + take
                remaining -= take
                opened.add(best)
            for s, st in sorted(stock.items(), key=lambda kv: km[kv[0]]):
                if remaining == 0:
                    break
                extra = min(st.backorderable, remaining)
                if extra > 0:
                    taken[s] = taken.get(s, 0) + extra
                    remaining -= extra
            lines.append(
                LinePlan(
                    line.sku,
                    line.quantity,
                    tuple(Allocation(s, q, "") for s, q in taken.items()),
                )
            )
        order = {line.sku: i for i, line in enumerate(request.lines)}
        return Plan(self.name, tuple(sorted(lines, key=lambda x: order[x.sku])))

    def _explain(self, plan: Plan, request: PlanRequest, note: str, cost: float) -> Plan:
        km = request.distances
        sites = request.sites
        units = {loc: sum(u.values()) for loc, u in plan.shipments.items()}
        lines = []
        for line in plan.lines:
            stock = request.stock_of(line.sku)
            used = {a.location for a in line.allocations}
            allocations = tuple(
                Allocation(a.location, a.quantity, _priced(a.location, units, request))
                for a in line.allocations
            )
            q = line.requested
            cheapest = heapq.nsmallest(
                REJECTIONS_SHOWN,
                (
                    (sites[s].cost.fixed + sites[s].cost.per_km_unit * km[s] * q, s)
                    for s, st in stock.items()
                    if st.available > 0 and s not in used
                ),
            )
            rejected = [
                Rejection(
                    s, f"costlier: {price:.2f} for these {q} units alone, {km[s]:.1f} km away"
                )
                for price, s in cheapest
            ]
            ruled_out = [
                Rejection(s, why) for s, why in request.excluded.items() if why == "no coordinates"
            ]
            shown = (ruled_out + rejected)[:REJECTIONS_SHOWN]
            passed_over = len(ruled_out) + len(stock) - len(used)
            lines.append(
                LinePlan(
                    line.sku,
                    line.requested,
                    allocations,
                    tuple(shown),
                    max(passed_over - len(shown), 0),
                )
            )
        return Plan(self.name, tuple(lines), f"{note}: total {cost:.2f}")


def _cost(plan: Plan, request: PlanRequest) -> float:
    cost = shipping_cost(plan.shipments, request)
    return math.inf if cost is None else cost


def _priced(location: str, units: Mapping[str, int], request: PlanRequest) -> str:
    km = request.distances[location]
    c = request.sites[location].cost
    return (
        f"{km:.1f} km away; shipment of {units[location]} units costs "
        f"{c.fixed:.2f} + {c.per_km_unit:g} x {km:.1f} km x {units[location]} = "
        f"{c.of(km, units[location]):.2f}"
    )


def _priced_only(request: PlanRequest) -> PlanRequest:
    """The request without sites that have no coordinates (they cannot be priced)."""
    km = request.distances
    if all(s in km for s in request.sites):
        return request
    unpriced = {s: "no coordinates" for s in request.sites if s not in km}
    return PlanRequest(
        lines=request.lines,
        sites={s: v for s, v in request.sites.items() if s in km},
        stock={
            sku: {s: st for s, st in by_site.items() if s in km}
            for sku, by_site in request.stock.items()
        },
        ship_to=request.ship_to,
        excluded={**request.excluded, **unpriced},
    )
