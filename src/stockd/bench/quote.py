"""How long planning a quote takes: a 20-line order over 2,000 locations.

The service builds a `PlanRequest` from the levels and locations it read,
then runs a strategy. Both steps are timed in-process (no HTTP, no database:
the stock is already in memory), for every strategy, for stock everywhere
(every SKU at every location) and for sparse stock (each SKU at 10% of them).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from stockd.domain.allocation import (
    STRATEGIES,
    Allocation,
    LinePlan,
    OrderLine,
    Plan,
    PlanRequest,
    Rejection,
)
from stockd.domain.catalog import Location, ShippingCost
from stockd.domain.geo import Point
from stockd.domain.quantities import Level, LevelKey, Quantities
from stockd.service import planning


@dataclass(frozen=True)
class Scenario:
    name: str
    lines: list[OrderLine]
    levels: list[Level]
    locations: dict[str, Location]
    placement: planning.Placement


def scenario(
    name: str, n_locations: int = 2000, n_lines: int = 20, density: float = 1.0, seed: int = 7
) -> Scenario:
    rng = random.Random(seed)
    locations = {
        f"L{i:04d}": Location(
            f"L{i:04d}",
            f"Location {i}",
            lat=rng.uniform(36, 60),
            lon=rng.uniform(-9, 30),
            priority=rng.randint(1, 10),
            shipping_cost=ShippingCost(rng.uniform(2, 15), rng.uniform(0.0005, 0.005)),
        )
        for i in range(n_locations)
    }
    skus = [f"SKU-{i:02d}" for i in range(n_lines)]
    levels = [
        Level(LevelKey(sku, loc), Quantities(on_hand=rng.randint(0, 40)))
        for sku in skus
        for loc in locations
        if rng.random() < density
    ]
    lines = [OrderLine(sku, rng.randint(1, 30)) for sku in skus]
    return Scenario(name, lines, levels, locations, planning.Placement(Point(52.5, 13.4)))


def timed(work: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        out.append((time.perf_counter() - start) * 1000)
    return out


class NaivePriority:
    """Baseline: what a straightforward planner does — rank every candidate
    of every line with a full sort, and explain every one it passes over."""

    name = "naive priority (baseline)"

    def plan(self, request: PlanRequest) -> Plan:
        lines = []
        for line in request.lines:
            stock = request.stock_of(line.sku)
            sites = request.sites
            ordered = sorted(
                (s for s, st in stock.items() if st.available > st.floor),
                key=lambda s: (sites[s].priority, -stock[s].available, s),
            )
            remaining, taken = line.quantity, {}
            for site in ordered:
                take = min(max(stock[site].available, 0), remaining)
                if take > 0:
                    taken[site] = take
                    remaining -= take
            reasons = {
                s: f"priority {sites[s].priority}, {stock[s].available} available" for s in ordered
            }
            allocations = tuple(Allocation(s, q, reasons[s]) for s, q in taken.items())
            rejected = tuple(Rejection(s, reasons[s]) for s in ordered if s not in taken)
            lines.append(LinePlan(line.sku, line.quantity, allocations, rejected))
        return Plan(self.name, tuple(lines))


@dataclass(frozen=True)
class Row:
    scenario: str
    strategy: str
    median_ms: float
    p90_ms: float


def run(runs: int = 50, n_locations: int = 2000) -> list[Row]:
    rows = []
    for s in (
        scenario("stock everywhere", n_locations),
        scenario("sparse (10%)", n_locations, density=0.1),
    ):

        def build(s: Scenario = s) -> object:
            return planning.plan_request(s.lines, s.levels, s.locations, s.placement)

        samples = timed(build, runs)
        rows.append(
            Row(s.name, "(building the request)", statistics.median(samples), _p90(samples))
        )
        request = planning.plan_request(s.lines, s.levels, s.locations, s.placement)
        planners: list[tuple[str, Callable[[PlanRequest], Plan]]] = [
            (NaivePriority.name, NaivePriority().plan),
            *((name, strategy.plan) for name, strategy in STRATEGIES.items()),
        ]
        for name, planner in planners:

            def plan(
                planner: Callable[[PlanRequest], Plan] = planner, request: PlanRequest = request
            ) -> object:
                return planner(request)

            samples = timed(plan, runs)
            rows.append(Row(s.name, name, statistics.median(samples), _p90(samples)))
    return rows


def _p90(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1]


if __name__ == "__main__":
    for row in run():
        print(row)
