from hypothesis import given
from hypothesis import strategies as st

from stockd.domain.allocation import Candidate, PriorityThenMostAvailable

place = PriorityThenMostAvailable().place


def test_takes_everything_from_the_preferred_location_when_it_can() -> None:
    p = place("A", 5, [Candidate("far", 2, 100), Candidate("near", 1, 10)])
    assert [(a.location, a.quantity) for a in p.allocations] == [("near", 5)]
    assert p.shortfall == 0


def test_equal_priority_prefers_the_location_with_most_available() -> None:
    p = place("A", 5, [Candidate("x", 1, 6), Candidate("y", 1, 50)])
    assert [(a.location, a.quantity) for a in p.allocations] == [("y", 5)]


def test_full_ties_break_by_location_id_for_determinism() -> None:
    p = place("A", 1, [Candidate("b", 1, 5), Candidate("a", 1, 5)])
    assert p.allocations[0].location == "a"


def test_splits_across_locations_in_preference_order() -> None:
    p = place("A", 12, [Candidate("x", 1, 5), Candidate("y", 2, 4), Candidate("z", 3, 10)])
    assert [(a.location, a.quantity) for a in p.allocations] == [("x", 5), ("y", 4), ("z", 3)]


def test_reports_the_shortfall_when_stock_runs_out() -> None:
    p = place("A", 12, [Candidate("x", 1, 5), Candidate("y", 2, -1)])
    assert p.placed == 5
    assert p.shortfall == 7


def test_backorders_only_after_all_stock_everywhere_is_taken() -> None:
    p = place("A", 9, [Candidate("x", 1, 2, floor=-10), Candidate("y", 2, 3, floor=-10)])
    assert {a.location: a.quantity for a in p.allocations} == {"x": 2 + 4, "y": 3}


def test_explains_each_choice() -> None:
    p = place("A", 1, [Candidate("x", 7, 3)])
    assert p.allocations[0].reason == "priority 7, 3 available (in stock)"


layouts = st.lists(
    st.tuples(st.integers(0, 5), st.integers(-5, 30), st.integers(-10, 0)),
    max_size=8,
)


@given(layouts, st.integers(1, 200))
def test_a_plan_never_takes_more_than_a_location_can_give_and_covers_the_request(
    layout: list[tuple[int, int, int]], quantity: int
) -> None:
    candidates = [
        Candidate(f"L{i}", prio, max(avail, floor), floor)
        for i, (prio, avail, floor) in enumerate(layout)
    ]
    p = place("A", quantity, candidates)
    by_location = {c.location: c for c in candidates}
    for a in p.allocations:
        c = by_location[a.location]
        assert 0 < a.quantity <= c.available - c.floor
    assert p.placed + p.shortfall == quantity
    capacity = sum(max(c.available - c.floor, 0) for c in candidates)
    assert p.shortfall == max(quantity - capacity, 0)
