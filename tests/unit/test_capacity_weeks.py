"""Choosing a production week: the pure rules a booking applies (earliest
week with room for the whole line inside the window; the earliest later week
a refusal names), across ISO year ends and time zones; and which pool a
made-to-order SKU's line books."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from stockd.domain.capacity import (
    CapacityPool,
    CapacityWeek,
    OptionPool,
    earliest_after,
    parse_week,
    pick_week,
    supply_reference,
)
from stockd.domain.catalog import InventoryType, Sku
from stockd.domain.weeks import IsoWeek

W = IsoWeek.parse


def test_the_earliest_week_with_room_for_the_whole_line_is_picked() -> None:
    free = {W("2027-W03"): 4, W("2027-W04"): 10, W("2027-W05"): 50}
    assert pick_week(free, W("2027-W03"), 8, 4) == W("2027-W03")
    assert pick_week(free, W("2027-W03"), 8, 5) == W("2027-W04")
    assert pick_week(free, W("2027-W03"), 8, 11) == W("2027-W05")
    assert pick_week(free, W("2027-W04"), 8, 1) == W("2027-W04")  # never before the first


def test_a_line_is_never_split_over_weeks_nor_booked_past_the_window() -> None:
    free = {W("2027-W03"): 6, W("2027-W04"): 6, W("2027-W12"): 100}
    assert pick_week(free, W("2027-W03"), 8, 7) is None  # 6 + 6, but not in one week
    assert pick_week(free, W("2027-W03"), 9, 7) is None  # W03 … W11
    assert pick_week(free, W("2027-W03"), 10, 7) == W("2027-W12")
    assert earliest_after(free, W("2027-W03") + 7, 7) == W("2027-W12")
    assert earliest_after(free, W("2027-W03") + 7, 101) is None


def test_the_window_crosses_the_53rd_week_of_2026_into_2027() -> None:
    free = {W("2026-W53"): 0, W("2027-W01"): 3}
    first = W("2026-W52")
    assert [str(first + i) for i in range(3)] == ["2026-W52", "2026-W53", "2027-W01"]
    assert pick_week(free, first, 3, 3) == W("2027-W01")
    assert pick_week(free, first, 2, 3) is None  # W52, W53
    assert earliest_after(free, first + 1, 3) == W("2027-W01")
    assert pick_week({W("2027-W52"): 1, W("2028-W01"): 1}, W("2027-W52"), 2, 1) == W("2027-W52")
    assert W("2027-W52") + 1 == W("2028-W01")  # 2027 has 52 weeks


def test_this_week_and_its_end_are_read_in_the_workshops_zone() -> None:
    pool = CapacityPool("upholstery", "works", "Upholstery", lead_time_weeks=2)
    # Sunday 3 January 2027, 23:30 UTC: still 2026-W53 in London, already
    # Monday 4 January (2027-W01) in Berlin.
    now = datetime(2027, 1, 3, 23, 30, tzinfo=UTC)
    assert pool.first_week(now, ZoneInfo("Europe/London")) == W("2027-W02")
    assert pool.first_week(now, ZoneInfo("Europe/Berlin")) == W("2027-W03")
    berlin = W("2027-W03").ends_at(ZoneInfo("Europe/Berlin"))
    assert berlin == datetime(2027, 1, 24, 23, 0, tzinfo=UTC)  # Monday 25th, 00:00 CET
    assert supply_reference("upholstery", W("2027-W03")) == "pool:upholstery/2027-W03"


def test_a_weeks_free_units_are_what_is_neither_held_nor_committed() -> None:
    week = CapacityWeek("p", W("2027-W03"), units=40, held=12, committed=20)
    assert week.free == 8
    assert week.as_dict() == {
        "week": "2027-W03",
        "capacity": 40,
        "held": 12,
        "committed": 20,
        "free": 8,
    }


def sofa(*mapped: OptionPool) -> Sku:
    return Sku(
        "SOFA",
        "P",
        "Sofa",
        inventory_type=InventoryType.MADE_TO_ORDER,
        capacity_pool="upholstery",
        option_pools=mapped,
    )


def test_options_may_send_a_line_to_another_pool_the_first_match_winning() -> None:
    sku = sofa(
        OptionPool("fabric", "leather", "leatherwork"),
        OptionPool("frame", "oak", "joinery"),
    )
    assert sku.pool_for({}) == "upholstery"
    assert sku.pool_for({"fabric": "velvet"}) == "upholstery"
    assert sku.pool_for({"fabric": "leather"}) == "leatherwork"
    assert sku.pool_for({"frame": "oak", "fabric": "leather"}) == "leatherwork"
    assert sku.pool_for({"frame": "oak"}) == "joinery"


def test_a_made_to_order_sku_needs_a_pool_and_a_physical_one_has_none() -> None:
    assert sofa().capacity_problems() == []
    no_pool = Sku("S", "P", "S", inventory_type=InventoryType.MADE_TO_ORDER)
    assert [f for f, _ in no_pool.capacity_problems()] == ["capacity_pool"]
    physical = Sku("S", "P", "S", capacity_pool="upholstery")
    assert [f for f, _ in physical.capacity_problems()] == ["capacity_pool"]
    twice = sofa(OptionPool("fabric", "x", "a"), OptionPool("fabric", "x", "b"))
    assert [f for f, _ in twice.capacity_problems()] == ["option_pools[1]"]
    assert Sku("S", "P", "S").capacity_problems() == []


def test_weeks_far_off_either_end_of_the_calendar_are_refused() -> None:
    assert parse_week("2027-W03") == W("2027-W03")
    for text in ("1999-W52", "9999-W52", "0000-W01", "2027-W3", "2027-W00"):
        with pytest.raises(ValueError, match=text):
            parse_week(text)
