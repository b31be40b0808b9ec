"""Delivery-date promises (`stockd.domain.promise`): each term of the date,
transit by region table, distance or default, the earliest date any choice
of supply could keep, and calendar dates in the shipping location's zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockd.domain.atp import (
    Atp,
    InboundLot,
    ProductionWeek,
    Step,
    Stock,
    Supply,
    available_to_promise,
)
from stockd.domain.catalog import Location, Sku
from stockd.domain.geo import Point
from stockd.domain.promise import (
    Destination,
    LinePromise,
    Shortfall,
    Terms,
    TransitBasis,
    promise,
)
from stockd.domain.supply import Source
from stockd.domain.weeks import IsoWeek

NOW = datetime(2027, 1, 4, 23, 30, tzinfo=UTC)  # Tuesday 00:30 in Berlin, Monday in LA
BERLIN = Location("ber", "Berlin", region="DE", lat=52.52, lon=13.40, timezone="Europe/Berlin")
MUNICH = Location("muc", "Munich", region="DE", lat=48.14, lon=11.58, timezone="Europe/Berlin")
LA = Location(
    "lax", "Los Angeles", region="US", lat=34.05, lon=-118.24, timezone="America/Los_Angeles"
)
PLACES = {x.id: x for x in (BERLIN, MUNICH, LA)}
TERMS = Terms(
    handling_days=1,
    delivery_window_days=2,
    supplier_buffer_days=7,
    on_hand_buffer_days=0,
    transit_days={"DE": {"DE": 1, "FR": 3}},
    km_per_day=500,
    min_transit_days=1,
    default_transit_days=5,
)
PARIS = Destination(Point(48.86, 2.35), "FR")
HAMBURG = Destination(Point(53.55, 9.99), "DE")


def atp_of(
    stock: tuple[Stock, ...] = (),
    inbound: tuple[InboundLot, ...] = (),
    production: tuple[ProductionWeek, ...] = (),
    days: int = 120,
) -> Atp:
    return available_to_promise(
        Supply(Sku("S", "P", "s"), PLACES, stock, inbound, production),
        NOW,
        NOW + timedelta(days=days),
    )


def made(answer: LinePromise | Shortfall) -> LinePromise:
    assert isinstance(answer, LinePromise), answer
    return answer


def test_stock_on_hand_is_ready_today_with_no_safety_buffer() -> None:
    line = made(promise(atp_of((Stock("ber", 5),)), 2, PARIS, PLACES, TERMS))
    [leg] = line.legs
    assert leg.step.ready_on == date(2027, 1, 5)  # already Tuesday in Berlin
    assert (leg.handling_days, leg.transit.days, leg.delivery_window_days) == (1, 3, 2)
    assert leg.transit.basis is TransitBasis.REGION
    assert leg.safety_buffer_days == 0
    assert line.deliver_by == leg.deliver_by == date(2027, 1, 11)


def test_inbound_and_production_carry_the_supplier_safety_buffer() -> None:
    atp = available_to_promise(
        Supply(
            Sku("S", "P", "s"),
            PLACES,
            inbound=(InboundLot("po:1", "ber", datetime(2027, 1, 8, 10, tzinfo=UTC), 2),),
            production=(ProductionWeek("sofas", "ber", IsoWeek(2027, 3), 5),),
        ),
        NOW,
        NOW + timedelta(days=60),
    )
    line = made(promise(atp, 6, HAMBURG, PLACES, TERMS))
    assert [(x.step.source, x.quantity, x.safety_buffer_days) for x in line.legs] == [
        (Source.INBOUND, 1, 7),
        (Source.PRODUCTION, 5, 7),
    ]
    # po:1 on 2027-01-08 + 1 + 1 + 2 + 7; the week ends Monday 2027-01-25 + 11.
    assert [x.deliver_by for x in line.legs] == [date(2027, 1, 19), date(2027, 2, 5)]
    assert line.deliver_by == date(2027, 2, 5)


def test_transit_goes_by_distance_when_the_region_table_is_silent() -> None:
    # Berlin → Los Angeles' customer: no "US" row; ~9,300 km at 500 km a day.
    to = Destination(Point(34.0, -118.0), "US")
    transit = TERMS.transit(BERLIN, to)
    assert transit.basis is TransitBasis.DISTANCE
    assert transit.distance_km is not None
    assert 9000 < transit.distance_km < 9700
    assert transit.days == 19
    # Next door: the minimum.
    near = TERMS.transit(LA, Destination(Point(34.06, -118.25)))
    assert (near.basis, near.days) == (TransitBasis.DISTANCE, 1)


def test_transit_from_a_location_without_coordinates_or_region_entry_is_the_default() -> None:
    nowhere = Location("n", "N", region="XX")
    transit = TERMS.transit(nowhere, PARIS)
    assert (transit.basis, transit.days, transit.distance_km) == (TransitBasis.DEFAULT, 5, None)


def test_of_the_supply_that_keeps_the_date_the_fewest_shipments_are_taken() -> None:
    # 3 at Berlin and 10 at Munich, both on hand: Munich alone delivers 5 by
    # the date the pair would (Hamburg is a day from both by the table).
    atp = atp_of((Stock("ber", 3), Stock("muc", 10)))
    line = made(promise(atp, 5, HAMBURG, PLACES, TERMS))
    assert [(x.step.location, x.quantity) for x in line.legs] == [("muc", 5)]
    assert line.deliver_by == date(2027, 1, 5) + timedelta(days=1 + 1 + 2)
    # 12 need both.
    both = made(promise(atp, 12, HAMBURG, PLACES, TERMS))
    assert sorted((x.step.location, x.quantity) for x in both.legs) == [("ber", 2), ("muc", 10)]


def test_a_closer_location_with_later_stock_wins_when_it_delivers_sooner() -> None:
    # On hand in LA now (19 days to Hamburg) against inbound in Munich in 3 days.
    atp = atp_of(
        (Stock("lax", 5),),
        (InboundLot("po:m", "muc", NOW + timedelta(days=3), 5),),
    )
    line = made(promise(atp, 3, HAMBURG, PLACES, TERMS))
    assert [(x.step.location, x.step.source) for x in line.legs] == [("muc", Source.INBOUND)]


def test_locations_that_do_not_ship_are_not_promised_from() -> None:
    shop = replace(MUNICH, id="shop", ships=False)
    places = {**PLACES, "shop": shop}
    atp = available_to_promise(
        Supply(Sku("S", "P", "s"), places, (Stock("shop", 9), Stock("ber", 1))),
        NOW,
        NOW + timedelta(days=30),
    )
    answer = promise(atp, 3, HAMBURG, places, TERMS)
    assert isinstance(answer, Shortfall)
    assert (answer.requested, answer.promisable) == (3, 1)
    assert "do not ship" in answer.reason


def test_no_supply_at_all_says_so() -> None:
    answer = promise(atp_of(), 1, PARIS, PLACES, TERMS)
    assert isinstance(answer, Shortfall)
    assert answer.promisable == 0
    assert answer.reason.startswith("no supply at all")


def test_too_little_supply_names_what_there_is() -> None:
    atp = atp_of((Stock("ber", 2),), (InboundLot("po:1", "ber", NOW + timedelta(days=2), 3),))
    answer = promise(atp, 9, PARIS, PLACES, TERMS)
    assert isinstance(answer, Shortfall)
    assert answer.promisable == 5
    assert "2 on hand" in answer.reason
    assert "3 inbound" in answer.reason


def test_the_same_stock_delivers_a_day_apart_in_berlin_and_los_angeles_around_midnight() -> None:
    atp = atp_of((Stock("ber", 1), Stock("lax", 1)))
    berlin_only = {"ber": BERLIN, "lax": replace(LA, ships=False)}
    to_berlin = made(promise(atp, 1, HAMBURG, berlin_only, TERMS))
    assert to_berlin.legs[0].step.ready_on == date(2027, 1, 5)
    la_only = {"lax": LA, "ber": replace(BERLIN, ships=False)}
    to_la = made(promise(atp, 1, Destination(Point(34.1, -118.3)), la_only, TERMS))
    assert to_la.legs[0].step.ready_on == date(2027, 1, 4)
    assert to_la.deliver_by == date(2027, 1, 4) + timedelta(days=1 + 1 + 2)


def test_terms_refuse_negative_days() -> None:
    with pytest.raises(ValueError, match="negative"):
        Terms(handling_days=-1)
    with pytest.raises(ValueError, match="negative"):
        Terms(transit_days={"DE": {"FR": -2}})


# -- the earliest date any choice could keep -----------------------------------------

wheres = st.sampled_from(["ber", "muc", "lax"])


@st.composite
def supplies(draw: st.DrawFn) -> Supply:
    stock = draw(st.lists(st.builds(Stock, wheres, st.integers(0, 6)), max_size=3))
    inbound = draw(
        st.lists(
            st.builds(
                InboundLot,
                st.builds(lambda n: f"po:{n}", st.integers(0, 9)),
                wheres,
                st.builds(lambda h: NOW + timedelta(hours=h), st.integers(1, 24 * 40)),
                st.integers(0, 6),
            ),
            max_size=4,
        )
    )
    weeks = draw(
        st.lists(
            st.builds(
                ProductionWeek,
                st.just("p"),
                wheres,
                st.builds(lambda n: IsoWeek(2027, 1) + n, st.integers(0, 8)),
                st.integers(0, 6),
            ),
            max_size=3,
        )
    )
    return Supply(Sku("S", "P", "s"), PLACES, tuple(stock), tuple(inbound), tuple(weeks))


@settings(max_examples=300, deadline=None)
@given(supply=supplies(), quantity=st.integers(1, 20), to=st.sampled_from([PARIS, HAMBURG]))
def test_a_promise_is_the_earliest_date_the_steps_allow_and_uses_each_unit_once(
    supply: Supply, quantity: int, to: Destination
) -> None:
    atp = available_to_promise(supply, NOW, NOW + timedelta(days=90))
    answer = promise(atp, quantity, to, PLACES, TERMS)

    def date_of(s: Step) -> date:
        """Each step alone, delivered by its own terms."""
        transit = TERMS.transit(PLACES[s.location], to)
        return s.ready_on + timedelta(days=1 + transit.days + 2 + TERMS.buffer(s.source))

    dates = sorted({date_of(s) for s in atp.steps})
    enough = [d for d in dates if sum(s.quantity for s in atp.steps if date_of(s) <= d) >= quantity]
    if not enough:
        assert isinstance(answer, Shortfall)
        assert answer.promisable == atp.total < quantity
        return
    assert isinstance(answer, LinePromise)
    assert answer.deliver_by == enough[0]
    assert sum(x.quantity for x in answer.legs) == quantity
    used = [x.step for x in answer.legs]
    assert len(used) == len(set(used))
    # The fewest shipments that keep the date: one fewer could not carry it.
    by_then = sorted(
        (s.quantity for s in atp.steps if date_of(s) <= answer.deliver_by), reverse=True
    )
    assert sum(by_then[: len(answer.legs) - 1]) < quantity
    for leg in answer.legs:
        assert 0 < leg.quantity <= leg.step.quantity
        assert leg.deliver_by == date_of(leg.step) <= answer.deliver_by
