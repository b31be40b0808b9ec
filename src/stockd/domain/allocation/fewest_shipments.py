"""`fewest_shipments`: one location that fills the whole order if there is
one; otherwise the smallest set of locations we can find.

Finding the smallest set is set cover (NP-hard), so the strategy builds a
greedy cover (repeatedly the location that covers most of what is left) and
also considers the `priority` plan, and keeps whichever needs fewer
shipments. It therefore never uses more locations than `priority` does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from stockd.domain.allocation.base import (
    REJECTIONS_SHOWN,
    Allocation,
    LinePlan,
    Plan,
    PlanRequest,
    Rejection,
)
from stockd.domain.allocation.priority import PriorityStrategy


class FewestShipmentsStrategy:
    name = "fewest_shipments"

    def plan(self, request: PlanRequest) -> Plan:
        single = self._single_source(request)
        if single is not None:
            return single
        greedy = self._greedy_cover(request)
        by_priority = PriorityStrategy().plan(request)
        if (by_priority.shortfall, len(by_priority.shipments)) < (
            greedy.shortfall,
            len(greedy.shipments),
        ):
            return Plan(
                self.name, by_priority.lines, "the priority plan needed the fewest shipments"
            )
        return greedy

    def objective(self, shipments: Mapping[str, Mapping[str, int]], request: PlanRequest) -> float:
        return float(len(shipments))

    def _rank_key(self, site: str, request: PlanRequest) -> tuple[int, float, str]:
        return (request.sites[site].priority, request.distances.get(site, 0.0), site)

    def _single_source(self, request: PlanRequest) -> Plan | None:
        if not request.lines:
            return Plan(self.name, ())
        full: set[str] | None = None
        for line in sorted(request.lines, key=lambda x: -x.quantity):
            stock = request.stock_of(line.sku)
            able = {s for s, st in stock.items() if st.available >= line.quantity}
            full = able if full is None else full & able
            if not full:
                return None
        assert full
        ranked = sorted(full, key=lambda s: self._rank_key(s, request))
        best, others = ranked[0], ranked[1:]
        why = f"fills the whole order in one shipment (priority {request.sites[best].priority})"
        rejected = tuple(
            Rejection(s, f"also fills the whole order; priority {request.sites[s].priority}")
            for s in others[:REJECTIONS_SHOWN]
        )
        return Plan(
            self.name,
            tuple(
                LinePlan(
                    line.sku,
                    line.quantity,
                    (Allocation(best, line.quantity, why),),
                    rejected,
                    max(len(others) - REJECTIONS_SHOWN, 0),
                )
                for line in request.lines
            ),
        )

    def _greedy_cover(self, request: PlanRequest) -> Plan:
        remaining = {line.sku: line.quantity for line in request.lines}
        by_site: dict[str, dict[str, int]] = defaultdict(dict)
        for line in request.lines:
            for site, st in request.stock_of(line.sku).items():
                if st.in_stock > 0:
                    by_site[site][line.sku] = st.in_stock
        taken: dict[str, dict[str, int]] = {line.sku: {} for line in request.lines}
        covered: dict[str, int] = {}
        while any(remaining.values()):
            best: str | None = None
            best_key: tuple[int, int, float, str] | None = None
            for site, units in by_site.items():
                cover = sum(min(q, remaining[sku]) for sku, q in units.items())
                if cover:
                    key = (-cover, *self._rank_key(site, request))
                    if best_key is None or key < best_key:
                        best, best_key = site, key
            if best is None:
                break
            covered[best] = 0
            for sku, q in by_site.pop(best).items():
                take = min(q, remaining[sku])
                if take:
                    taken[sku][best] = take
                    remaining[sku] -= take
                    covered[best] += take
        used = list(covered)
        shipment_no = {site: i + 1 for i, site in enumerate(used)}
        lines = []
        for line in request.lines:
            allocation = dict(taken[line.sku])
            if remaining[line.sku]:
                self._backorder(line.sku, remaining[line.sku], used, allocation, request)
            stock = request.stock_of(line.sku)
            allocations = tuple(
                Allocation(
                    site,
                    qty,
                    f"shipment {shipment_no[site]} of {len(used)}: covers {covered[site]} units"
                    if site in shipment_no
                    else f"backorder at priority {request.sites[site].priority}",
                )
                for site, qty in allocation.items()
            )
            passed = [
                Rejection(s, f"would add a shipment; {stock[s].available} available")
                for s in sorted(
                    (s for s, st in stock.items() if st.in_stock > 0 and s not in allocation),
                    key=lambda s: self._rank_key(s, request),
                )
            ]
            lines.append(
                LinePlan(
                    line.sku,
                    line.quantity,
                    allocations,
                    tuple(passed[:REJECTIONS_SHOWN]),
                    max(len(passed) - REJECTIONS_SHOWN, 0),
                )
            )
        return Plan(self.name, tuple(lines))

    def _backorder(
        self,
        sku: str,
        missing: int,
        used: list[str],
        allocation: dict[str, int],
        request: PlanRequest,
    ) -> None:
        """Backorder what stock could not cover, at locations already shipping first."""
        stock = request.stock_of(sku)
        rest = sorted((s for s in stock if s not in used), key=lambda s: self._rank_key(s, request))
        for site in [*used, *rest]:
            if missing == 0:
                return
            if site in stock:
                take = min(stock[site].backorderable, missing)
                if take > 0:
                    allocation[site] = allocation.get(site, 0) + take
                    missing -= take
