"""Why a location offers nothing: one reason, the first that holds."""

from __future__ import annotations

import pytest

from stockd.domain.catalog import Location
from stockd.domain.offers import offer
from stockd.domain.quantities import Level, LevelKey, Quantities

HERE = Location("x", "X")


def at(floor: int = 0, **q: int) -> Level:
    return Level(LevelKey("A", "x"), Quantities(**q), floor=floor)


@pytest.mark.parametrize(
    ("level", "location", "reason"),
    [
        (at(on_hand=5), Location("x", "X", active=False), "inactive"),
        (at(on_hand=5), Location("x", "X", archived=True), "archived"),
        (at(), HERE, "out_of_stock"),
        (at(on_hand=4, damaged=3, safety_stock=1), HERE, "damaged"),
        (at(on_hand=4, quality_control=4), HERE, "quality_control"),
        (at(on_hand=4, damaged=1, safety_stock=3), HERE, "safety_stock"),
        (at(on_hand=4, reserved=2, committed=1, safety_stock=1), HERE, "held"),
    ],
)
def test_a_location_that_offers_nothing_says_why(
    level: Level, location: Location, reason: str
) -> None:
    found = offer(level, location)
    assert (found.sellable, found.reason) == (0, reason)


def test_a_location_that_offers_units_gives_no_reason() -> None:
    assert offer(at(on_hand=4, reserved=1), HERE).sellable == 3
    assert offer(at(on_hand=4, reserved=1), HERE).reason is None
    assert offer(at(floor=-5), HERE).sellable == 5  # backorder allowance
