"""Properties every strategy keeps, over random stock layouts and orders."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stockd.domain.allocation import (
    STRATEGIES,
    FewestShipmentsStrategy,
    OrderLine,
    PlanRequest,
    PriorityStrategy,
    Site,
    Stock,
)
from stockd.domain.catalog import ShippingCost
from stockd.domain.geo import Point

SKUS = ["A", "B", "C", "D"]


@st.composite
def requests(draw: st.DrawFn) -> PlanRequest:
    n_sites = draw(st.integers(1, 7))
    sites = {
        f"L{i}": Site(
            f"L{i}",
            draw(st.integers(0, 3)),
            draw(st.one_of(st.none(), st.builds(Point, st.floats(-60, 60), st.floats(-150, 150)))),
            ShippingCost(draw(st.floats(0, 20)), draw(st.floats(0, 0.05))),
        )
        for i in range(n_sites)
    }
    skus = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=4, unique=True))
    stock = {
        sku: {
            site: Stock(available, floor)
            for site in sites
            if draw(st.booleans())
            for floor in [draw(st.sampled_from([0, 0, -3]))]
            for available in [draw(st.integers(floor, 12))]
        }
        for sku in skus
    }
    lines = tuple(OrderLine(sku, draw(st.integers(1, 25))) for sku in skus)
    ship_to = draw(st.builds(Point, st.floats(-60, 60), st.floats(-150, 150)))
    return PlanRequest(lines, sites, stock, ship_to)


@settings(max_examples=300, deadline=None)
@given(requests())
def test_no_strategy_takes_more_than_a_location_has_or_misplaces_a_unit(
    request: PlanRequest,
) -> None:
    for name, strategy in STRATEGIES.items():
        plan = strategy.plan(request)
        assert plan.strategy == name
        for line, wanted in zip(plan.lines, request.lines, strict=True):
            assert line.sku == wanted.sku
            assert line.placed + line.shortfall == wanted.quantity
            assert line.shortfall >= 0
            stock = request.stock_of(line.sku)
            for a in line.allocations:
                assert a.quantity > 0
                assert a.location in request.sites
                assert a.quantity <= stock[a.location].available - stock[a.location].floor
            assert len({a.location for a in line.allocations}) == len(line.allocations)


@settings(max_examples=300, deadline=None)
@given(requests())
def test_a_shortfall_is_only_reported_when_the_stock_is_not_there(request: PlanRequest) -> None:
    for name, strategy in STRATEGIES.items():
        plan = strategy.plan(request)
        for line in plan.lines:
            stock = request.stock_of(line.sku)
            if name in ("nearest", "lowest_cost"):
                usable = [s for s in stock if s in request.distances]
            else:
                usable = list(stock)
            capacity = sum(max(stock[s].available - stock[s].floor, 0) for s in usable)
            assert line.shortfall == max(line.requested - capacity, 0), (name, line)


@settings(max_examples=400, deadline=None)
@given(requests())
def test_fewest_shipments_never_uses_more_locations_than_priority(request: PlanRequest) -> None:
    fewest = FewestShipmentsStrategy().plan(request)
    priority = PriorityStrategy().plan(request)
    assert fewest.shortfall <= priority.shortfall
    if fewest.shortfall == priority.shortfall:
        assert len(fewest.shipments) <= len(priority.shipments)
