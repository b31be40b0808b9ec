from stockd.domain.catalog import PolicyKind, StockPolicy
from stockd.domain.quantities import Level, LevelKey, Quantities, State


def test_available_subtracts_every_unsellable_state_but_not_incoming() -> None:
    q = Quantities(
        on_hand=100,
        reserved=10,
        committed=20,
        damaged=5,
        quality_control=3,
        safety_stock=2,
        incoming=1000,
    )
    assert q.available == 60


def test_deltas_add_state_by_state() -> None:
    assert Quantities(on_hand=5, reserved=2) + Quantities(reserved=-2, committed=2) == Quantities(
        on_hand=5, committed=2
    )


def test_no_violations_for_a_consistent_level() -> None:
    assert Quantities(on_hand=5, reserved=5).violations(floor=0) == []


def test_negative_counters_are_violations() -> None:
    broken = Quantities(on_hand=-1).violations(floor=-10)
    assert "on_hand would be -1" in broken


def test_available_below_zero_is_a_violation_under_deny() -> None:
    broken = Quantities(on_hand=2, reserved=3).violations(floor=0)
    assert broken == ["available would be -1, below 0"]


def test_backorder_floor_allows_going_below_zero_down_to_the_cap() -> None:
    assert Quantities(on_hand=2, reserved=7).violations(floor=-5) == []
    assert Quantities(on_hand=2, reserved=8).violations(floor=-5) != []


def test_damaged_and_quality_control_cannot_exceed_on_hand() -> None:
    broken = Quantities(on_hand=3, damaged=2, quality_control=2).violations(floor=-100)
    assert any("exceed on_hand" in b for b in broken)


def test_policy_floor() -> None:
    assert StockPolicy().floor == 0
    assert StockPolicy(PolicyKind.BACKORDER, 25).floor == -25


def test_sellable_includes_the_backorder_allowance_and_never_goes_negative() -> None:
    key = LevelKey("A", "X")
    assert Level(key, Quantities(on_hand=3), floor=-2).sellable == 5
    assert Level(key, Quantities(on_hand=3, reserved=3), floor=0).sellable == 0


def test_level_keys_sort_by_sku_then_location() -> None:
    keys = [LevelKey("b", "a"), LevelKey("a", "z"), LevelKey("a", "b")]
    assert sorted(keys) == [LevelKey("a", "b"), LevelKey("a", "z"), LevelKey("b", "a")]


def test_of_and_get_name_one_state() -> None:
    assert Quantities.of(State.DAMAGED, 4).get(State.DAMAGED) == 4
