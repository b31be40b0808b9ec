"""`fewest_shipments`: one location that fills the whole order if there is
one; otherwise the smallest set of locations we can find.

Finding the smallest set is set cover (NP-hard), so the strategy builds a
greedy cover (repeatedly the location that covers most of what is left,
evaluated lazily: coverage only shrinks as lines fill) and also considers the
`priority` plan, keeping whichever needs fewer shipments. It therefore never
uses more locations than `priority` does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping

from stockd.domain.allocation.base import (
    REJECTIONS_SHOWN,
    Allocation,
    LinePlan,
    Plan,
    PlanRequest,
    Rejection,
    Stock,
)
from stockd.domain.allocation.priority import PriorityStrategy

RankKey = tuple[int, float, str]


class FewestShipmentsStrategy:
    name = "fewest_shipments"

    def plan(self, request: PlanRequest) -> Plan:
        if not request.lines:
            return Plan(self.name, ())
        rank = {s: self._rank_key(s, request) for s in request.sites}
        single = self._single_source(request, rank)
        if single is not None:
            return single
        greedy = self._greedy_cover(request, rank)
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

    @staticmethod
    def _rank_key(site: str, request: PlanRequest) -> RankKey:
        return (request.sites[site].priority, request.distances.get(site, 0.0), site)

    def _single_source(self, request: PlanRequest, rank: Mapping[str, RankKey]) -> Plan | None:
        full: set[str] | None = None
        for line in sorted(request.lines, key=lambda x: -x.quantity):
            stock = request.stock_of(line.sku)
            q = line.quantity
            if full is None:
                full = {s for s, st in stock.items() if st.available >= q}
            else:
                full = {s for s in full if (st := stock.get(s)) is not None and st.available >= q}
            if not full:
                return None
        assert full
        ranked = sorted(full, key=rank.__getitem__)
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

    def _greedy_cover(self, request: PlanRequest, rank: Mapping[str, RankKey]) -> Plan:
        remaining = {line.sku: line.quantity for line in request.lines}
        in_stock = {
            line.sku: [
                (s, st.available)
                for s, st in request.stock_of(line.sku).items()
                if st.available > 0
            ]
            for line in request.lines
        }
        taken: dict[str, dict[str, int]] = {line.sku: {} for line in request.lines}
        covered: dict[str, int] = {}
        while True:
            # Coverage of every unused site over the lines still short; after
            # the first pick only a few lines remain, so later rounds are cheap.
            cover: dict[str, int] = defaultdict(int)
            for sku, rem in remaining.items():
                if rem:
                    for site, q in in_stock[sku]:
                        if site not in covered:
                            cover[site] += q if q < rem else rem
            if not cover:
                break
            best = min((-c, rank[s], s) for s, c in cover.items())[2]
            covered[best] = cover[best]
            for sku, rem in remaining.items():
                st = request.stock_of(sku).get(best)
                take = min(st.available, rem) if st is not None and st.available > 0 else 0
                if take:
                    taken[sku][best] = take
                    remaining[sku] = rem - take
        used = list(covered)
        shipment_no = {site: i + 1 for i, site in enumerate(used)}
        by_rank = sorted(request.sites, key=rank.__getitem__)
        lines = []
        for line in request.lines:
            allocation = dict(taken[line.sku])
            if remaining[line.sku]:
                self._backorder(line.sku, remaining[line.sku], used, by_rank, allocation, request)
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
                for s in _first_unused(by_rank, stock, allocation, REJECTIONS_SHOWN)
            ]
            lines.append(
                LinePlan(
                    line.sku,
                    line.quantity,
                    allocations,
                    tuple(passed),
                    max(len(stock) - len(allocation) - len(passed), 0),
                )
            )
        return Plan(self.name, tuple(lines))

    def _backorder(
        self,
        sku: str,
        missing: int,
        used: list[str],
        by_rank: list[str],
        allocation: dict[str, int],
        request: PlanRequest,
    ) -> None:
        """Backorder what stock could not cover, at locations already shipping first."""
        stock = request.stock_of(sku)
        for site in [*used, *(s for s in by_rank if s not in used)]:
            if missing == 0:
                return
            if site in stock:
                take = min(stock[site].backorderable, missing)
                if take > 0:
                    allocation[site] = allocation.get(site, 0) + take
                    missing -= take


def _first_unused(
    by_rank: list[str], stock: Mapping[str, Stock], used: Mapping[str, int], n: int
) -> Iterator[str]:
    """The best-ranked `n` sites with this SKU in stock that the plan does not use."""
    found = 0
    for site in by_rank:
        if found == n:
            return
        st = stock.get(site)
        if st is not None and st.available > 0 and site not in used:
            found += 1
            yield site
