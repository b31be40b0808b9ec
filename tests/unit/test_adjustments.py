import pytest

from stockd.domain.adjustments import Change, Refusal, movement
from stockd.domain.quantities import Level, LevelKey, Quantities, State

KEY = LevelKey("A", "X")


def level(**q: int) -> Level:
    return Level(KEY, Quantities(**q), floor=0, version=4)


def test_a_delta_changes_only_its_state() -> None:
    change = Change(KEY, State.ON_HAND, "receipt", delta=5)
    assert movement(change, level(on_hand=1)) == Quantities(on_hand=5)


def test_set_becomes_the_difference_to_the_current_value() -> None:
    change = Change(KEY, State.ON_HAND, "count", set_to=7)
    assert movement(change, level(on_hand=10)) == Quantities(on_hand=-3)


def test_compare_and_set_refuses_when_the_value_moved() -> None:
    change = Change(KEY, State.ON_HAND, "count", set_to=7, expected=9)
    refusal = movement(change, level(on_hand=10))
    assert isinstance(refusal, Refusal)
    assert refusal.code == "version_conflict"
    assert "is 10, expected 9" in refusal.detail


def test_expected_version_refuses_a_lost_update() -> None:
    change = Change(KEY, State.SAFETY_STOCK, "buffer", delta=1, expected_version=3)
    refusal = movement(change, level(on_hand=10))
    assert isinstance(refusal, Refusal)
    assert refusal.code == "version_conflict"


def test_moving_sellable_units_to_damaged_keeps_them_on_hand() -> None:
    change = Change(KEY, State.DAMAGED, "broken", delta=2, from_state=State.ON_HAND)
    assert movement(change, level(on_hand=10)) == Quantities(damaged=2)


def test_moving_between_unsellable_states_takes_from_one_and_adds_to_the_other() -> None:
    change = Change(KEY, State.QUALITY_CONTROL, "inspect", delta=2, from_state=State.DAMAGED)
    assert movement(change, level(on_hand=10, damaged=3)) == Quantities(
        damaged=-2, quality_control=2
    )


def test_a_change_that_would_oversell_is_refused_with_the_reason() -> None:
    change = Change(KEY, State.ON_HAND, "shrinkage", delta=-5)
    refusal = movement(change, level(on_hand=6, reserved=3))
    assert isinstance(refusal, Refusal)
    assert refusal.code == "invariant_violation"
    assert "available would be -2" in refusal.detail


@pytest.mark.parametrize(
    "kwargs",
    [
        {"delta": 1, "set_to": 1},
        {},
        {"delta": -1, "from_state": State.ON_HAND},
        {"delta": 1, "from_state": State.DAMAGED, "state": State.DAMAGED},
        {"delta": 1, "state": State.RESERVED},
    ],
)
def test_malformed_changes_cannot_be_built(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"key": KEY, "state": State.DAMAGED, "reason": "r"} | kwargs
    with pytest.raises(ValueError):  # noqa: PT011
        Change(**args)  # type: ignore[arg-type]
