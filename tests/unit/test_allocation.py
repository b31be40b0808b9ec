"""Allocation strategies: scenarios, splits, ties, and explanations."""

from __future__ import annotations

import pytest

from stockd.domain.allocation import (
    FewestShipmentsStrategy,
    LowestCostStrategy,
    MostStockStrategy,
    NearestStrategy,
    NeedsShipTo,
    OrderLine,
    Plan,
    PlanRequest,
    PriorityStrategy,
    Site,
    Stock,
)
from stockd.domain.catalog import ShippingCost
from stockd.domain.geo import Point

BERLIN = Point(52.52, 13.405)
HAMBURG = Point(53.551, 9.993)
MUNICH = Point(48.137, 11.575)
PARIS = Point(48.857, 2.352)


def request(
    stock: dict[str, dict[str, int]],
    lines: dict[str, int],
    *,
    sites: dict[str, Site] | None = None,
    ship_to: Point | None = None,
    floors: dict[tuple[str, str], int] | None = None,
) -> PlanRequest:
    floors = floors or {}
    all_sites = sites or {loc: Site(loc) for by_loc in stock.values() for loc in by_loc}
    return PlanRequest(
        lines=tuple(OrderLine(sku, q) for sku, q in lines.items()),
        sites=all_sites,
        stock={
            sku: {loc: Stock(a, floors.get((sku, loc), 0)) for loc, a in by_loc.items()}
            for sku, by_loc in stock.items()
        },
        ship_to=ship_to,
    )


def placed(plan: Plan) -> dict[str, dict[str, int]]:
    return {line.sku: {a.location: a.quantity for a in line.allocations} for line in plan.lines}


# -- priority -------------------------------------------------------------------


def test_priority_takes_the_preferred_location_first() -> None:
    sites = {"far": Site("far", 2), "near": Site("near", 1)}
    plan = PriorityStrategy().plan(request({"A": {"far": 100, "near": 10}}, {"A": 5}, sites=sites))
    assert placed(plan) == {"A": {"near": 5}}
    assert plan.lines[0].allocations[0].reason == "priority 1, 10 available"
    assert plan.lines[0].rejected[0].location == "far"


def test_priority_ties_go_to_most_available_then_to_the_id() -> None:
    plan = PriorityStrategy().plan(request({"A": {"x": 6, "y": 50}}, {"A": 5}))
    assert placed(plan) == {"A": {"y": 5}}
    plan = PriorityStrategy().plan(request({"A": {"b": 5, "a": 5}}, {"A": 1}))
    assert placed(plan) == {"A": {"a": 1}}


def test_priority_splits_in_order_and_reports_a_shortfall() -> None:
    sites = {"x": Site("x", 1), "y": Site("y", 2), "z": Site("z", 3)}
    plan = PriorityStrategy().plan(request({"A": {"x": 5, "y": 4, "z": 1}}, {"A": 12}, sites=sites))
    assert placed(plan) == {"A": {"x": 5, "y": 4, "z": 1}}
    assert (plan.lines[0].shortfall, plan.feasible) == (2, False)


def test_backorder_only_after_all_stock_everywhere_is_taken() -> None:
    sites = {"x": Site("x", 1), "y": Site("y", 2)}
    plan = PriorityStrategy().plan(
        request(
            {"A": {"x": 2, "y": 3}},
            {"A": 9},
            sites=sites,
            floors={("A", "x"): -10, ("A", "y"): -10},
        )
    )
    assert placed(plan) == {"A": {"x": 2 + 4, "y": 3}}
    assert plan.lines[0].allocations[0].reason.endswith("(backorder)")


def test_a_placement_at_a_site_out_of_use_is_worse_than_any_by_every_measure() -> None:
    # Holds at a location archived or deactivated since: the request no longer
    # lists it as a site, and re-planning must still be able to compare.
    req = request({"A": {"x": 5}}, {"A": 2}, ship_to=BERLIN)
    held_elsewhere = {"gone": {"A": 2}}
    assert PriorityStrategy().objective(held_elsewhere, req) == float("inf")
    assert NearestStrategy().objective(held_elsewhere, req) == float("inf")
    assert LowestCostStrategy().objective(held_elsewhere, req) == float("inf")


# -- nearest --------------------------------------------------------------------

GERMANY = {
    "berlin": Site("berlin", 3, BERLIN),
    "hamburg": Site("hamburg", 2, HAMBURG),
    "munich": Site("munich", 1, MUNICH),
    "nowhere": Site("nowhere", 1, None),
}


def test_nearest_takes_the_closest_location_and_says_how_far() -> None:
    plan = NearestStrategy().plan(
        request(
            {"A": {"berlin": 5, "hamburg": 5, "munich": 5, "nowhere": 5}},
            {"A": 3},
            sites=GERMANY,
            ship_to=Point(52.4, 13.1),  # Potsdam
        )
    )
    assert placed(plan) == {"A": {"berlin": 3}}
    assert plan.lines[0].allocations[0].reason == "24.6 km away, 5 available"
    rejected = {r.location: r.reason for r in plan.lines[0].rejected}
    assert rejected["nowhere"] == "no coordinates"
    assert rejected["hamburg"].startswith("passed over: 2")


def test_nearest_splits_outwards() -> None:
    plan = NearestStrategy().plan(
        request(
            {"A": {"berlin": 2, "hamburg": 2, "munich": 10}},
            {"A": 5},
            sites=GERMANY,
            ship_to=BERLIN,
        )
    )
    assert placed(plan) == {"A": {"berlin": 2, "hamburg": 2, "munich": 1}}


def test_nearest_ties_on_distance_go_to_priority() -> None:
    sites = {"a": Site("a", 5, BERLIN), "b": Site("b", 1, BERLIN)}
    plan = NearestStrategy().plan(
        request({"A": {"a": 5, "b": 5}}, {"A": 1}, sites=sites, ship_to=PARIS)
    )
    assert placed(plan) == {"A": {"b": 1}}


def test_nearest_needs_a_ship_to_point() -> None:
    with pytest.raises(NeedsShipTo):
        NearestStrategy().plan(request({"A": {"berlin": 5}}, {"A": 1}, sites=GERMANY))


# -- most stock -----------------------------------------------------------------


def test_most_stock_takes_the_fullest_location() -> None:
    sites = {"x": Site("x", 1), "y": Site("y", 9)}
    plan = MostStockStrategy().plan(request({"A": {"x": 5, "y": 50}}, {"A": 5}, sites=sites))
    assert placed(plan) == {"A": {"y": 5}}


# -- fewest shipments -------------------------------------------------------------


def test_fewest_shipments_prefers_one_location_that_fills_everything() -> None:
    sites = {"x": Site("x", 1), "y": Site("y", 2), "z": Site("z", 3)}
    stock = {"A": {"x": 5, "z": 5}, "B": {"y": 5, "z": 5}}
    plan = FewestShipmentsStrategy().plan(request(stock, {"A": 2, "B": 2}, sites=sites))
    assert placed(plan) == {"A": {"z": 2}, "B": {"z": 2}}
    assert "one shipment" in plan.lines[0].allocations[0].reason
    by_priority = PriorityStrategy().plan(request(stock, {"A": 2, "B": 2}, sites=sites))
    assert len(by_priority.shipments) == 2


def test_fewest_shipments_covers_with_the_smallest_set_it_finds() -> None:
    sites = {s: Site(s, i) for i, s in enumerate("wxyz")}
    stock = {
        "A": {"w": 1, "x": 3},
        "B": {"w": 1, "x": 3},
        "C": {"w": 1, "y": 3},
        "D": {"z": 3},
    }
    plan = FewestShipmentsStrategy().plan(
        request(stock, {"A": 3, "B": 3, "C": 3, "D": 3}, sites=sites)
    )
    assert plan.feasible
    assert set(plan.shipments) == {"x", "y", "z"}


def test_fewest_shipment_ties_break_by_priority_then_id() -> None:
    sites = {"b": Site("b", 1), "a": Site("a", 1), "c": Site("c", 0)}
    stock = {"A": {"a": 5, "b": 5, "c": 5}}
    plan = FewestShipmentsStrategy().plan(request(stock, {"A": 2}, sites=sites))
    assert placed(plan) == {"A": {"c": 2}}
    sites["c"] = Site("c", 9)
    plan = FewestShipmentsStrategy().plan(request(stock, {"A": 2}, sites=sites))
    assert placed(plan) == {"A": {"a": 2}}


# -- lowest cost ----------------------------------------------------------------


def test_lowest_cost_weighs_fixed_costs_against_distance() -> None:
    sites = {
        "near": Site("near", 1, BERLIN, ShippingCost(fixed=20, per_km_unit=0.01)),
        "far": Site("far", 1, MUNICH, ShippingCost(fixed=2, per_km_unit=0.001)),
    }
    stock = {"A": {"near": 10, "far": 10}}
    plan = LowestCostStrategy().plan(request(stock, {"A": 4}, sites=sites, ship_to=BERLIN))
    # near: 20 + 0.01 x 0 x 4 = 20; far: 2 + 0.001 x 504 x 4 ~ 4.02
    assert placed(plan) == {"A": {"far": 4}}
    assert "= 4.02" in plan.lines[0].allocations[0].reason
    assert plan.note.startswith("cheapest of")


def test_lowest_cost_consolidates_when_a_second_shipment_costs_more() -> None:
    cost = ShippingCost(fixed=10, per_km_unit=0.001)
    sites = {"a": Site("a", 1, BERLIN, cost), "b": Site("b", 2, HAMBURG, cost)}
    stock = {"A": {"a": 5, "b": 5}, "B": {"b": 5}}
    plan = LowestCostStrategy().plan(request(stock, {"A": 1, "B": 1}, sites=sites, ship_to=BERLIN))
    assert set(plan.shipments) == {"b"}


def test_lowest_cost_ignores_locations_it_cannot_price() -> None:
    sites = {"a": Site("a", 1, None), "b": Site("b", 1, MUNICH)}
    plan = LowestCostStrategy().plan(
        request({"A": {"a": 5, "b": 5}}, {"A": 1}, sites=sites, ship_to=BERLIN)
    )
    assert placed(plan) == {"A": {"b": 1}}
    assert ("a", "no coordinates") in [(r.location, r.reason) for r in plan.lines[0].rejected]
