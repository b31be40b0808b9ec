"""The ATP staircase (`stockd.domain.atp`): no unit counted twice, steps
cumulative and in time order, production ready when its ISO week ends in the
workshop's zone (year ends and zones included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from stockd.domain.atp import (
    InboundLot,
    ProductionWeek,
    Stock,
    Supply,
    available_to_promise,
)
from stockd.domain.catalog import Location, Sku
from stockd.domain.supply import Source
from stockd.domain.weeks import IsoWeek

NOW = datetime(2027, 1, 4, 23, 30, tzinfo=UTC)
BERLIN = Location("ber", "Berlin", region="DE", lat=52.52, lon=13.40, timezone="Europe/Berlin")
LA = Location(
    "lax", "Los Angeles", region="US", lat=34.05, lon=-118.24, timezone="America/Los_Angeles"
)
SKU = Sku("SOFA", "P", "Sofa")
PLACES = {x.id: x for x in (BERLIN, LA)}


def supply(
    stock: tuple[Stock, ...] = (),
    inbound: tuple[InboundLot, ...] = (),
    production: tuple[ProductionWeek, ...] = (),
    places: dict[str, Location] | None = None,
) -> Supply:
    return Supply(SKU, places or PLACES, stock, inbound, production)


def test_on_hand_then_inbound_then_production_each_labelled_with_its_supply() -> None:
    atp = available_to_promise(
        supply(
            (Stock("ber", 3),),
            (InboundLot("po:7", "ber", NOW + timedelta(days=4), 5),),
            (ProductionWeek("sofas", "ber", IsoWeek(2027, 3), 10),),
        ),
        NOW,
        NOW + timedelta(days=60),
    )
    assert [(s.source, s.reference, s.quantity, s.cumulative) for s in atp.steps] == [
        (Source.ON_HAND, None, 3, 3),
        (Source.INBOUND, "po:7", 5, 8),
        (Source.PRODUCTION, "pool:sofas/2027-W03", 10, 18),
    ]
    assert atp.total == 18
    assert atp.by(NOW) == 3
    assert atp.by(NOW + timedelta(days=4)) == 8
    # 2027-W03 ends at Monday 2027-01-25 00:00 in Berlin: 2027-01-24T23:00Z.
    assert atp.steps[2].ready_at == datetime(2027, 1, 24, 23, 0, tzinfo=UTC)
    assert atp.steps[2].ready_on == date(2027, 1, 25)


def test_held_and_promised_units_are_not_offered_again() -> None:
    atp = available_to_promise(
        supply(
            (Stock("ber", 0), Stock("lax", 2)),
            (InboundLot("po:1", "ber", NOW + timedelta(days=1), 6, promised=6),),
        ),
        NOW,
        NOW + timedelta(days=30),
    )
    assert [(s.location, s.quantity) for s in atp.steps] == [("lax", 2)]


def test_units_sold_beyond_stock_take_the_earliest_inbound_of_their_location_first() -> None:
    atp = available_to_promise(
        supply(
            (Stock("ber", -5),),
            (
                InboundLot("po:la", "lax", NOW + timedelta(days=1), 4),
                InboundLot("po:late", "ber", NOW + timedelta(days=9), 4),
                InboundLot("po:early", "ber", NOW + timedelta(days=3), 2),
            ),
        ),
        NOW,
        NOW + timedelta(days=30),
    )
    # Berlin owes 5: 2 from po:early, 3 from po:late; Los Angeles' lot is untouched.
    assert {s.reference: s.quantity for s in atp.steps} == {"po:la": 4, "po:late": 1}
    assert atp.unbacked == 0


def test_backorders_no_lot_at_their_location_covers_take_lots_elsewhere_then_stay_unbacked() -> (
    None
):
    atp = available_to_promise(
        supply(
            (Stock("ber", -7), Stock("lax", 1)),
            (InboundLot("po:la", "lax", NOW + timedelta(days=2), 4),),
        ),
        NOW,
        NOW + timedelta(days=30),
    )
    assert [(s.source, s.quantity) for s in atp.steps] == [(Source.ON_HAND, 1)]
    assert atp.unbacked == 3


def test_until_and_location_bound_the_view() -> None:
    s = supply(
        (Stock("ber", 1), Stock("lax", 2)),
        (InboundLot("po:1", "ber", NOW + timedelta(days=20), 5),),
        (ProductionWeek("p", "lax", IsoWeek(2027, 1), 9),),  # ends 2027-01-11 in LA
    )
    soon = available_to_promise(s, NOW, NOW + timedelta(days=3))
    assert [(s.location, s.source) for s in soon.steps] == [
        ("ber", Source.ON_HAND),
        ("lax", Source.ON_HAND),
    ]
    berlin = available_to_promise(s, NOW, NOW + timedelta(days=30), location="ber")
    assert [(s.source, s.quantity) for s in berlin.steps] == [
        (Source.ON_HAND, 1),
        (Source.INBOUND, 5),
    ]
    assert berlin.location == "ber"


def test_inactive_archived_and_unknown_locations_offer_nothing() -> None:
    places = {
        "on": Location("on", "On"),
        "off": Location("off", "Off", active=False),
        "gone": Location("gone", "Gone", archived=True),
    }
    atp = available_to_promise(
        supply(
            (Stock("on", 1), Stock("off", 5), Stock("gone", 7), Stock("nowhere", 9)),
            places=places,
        ),
        NOW,
        NOW + timedelta(days=1),
    )
    assert [(s.location, s.quantity) for s in atp.steps] == [("on", 1)]


def test_a_late_inbound_lot_is_ready_now_not_in_the_past() -> None:
    atp = available_to_promise(
        supply(inbound=(InboundLot("po:late", "ber", NOW - timedelta(days=2), 3),)),
        NOW,
        NOW + timedelta(days=1),
    )
    assert [(s.ready_at, s.quantity) for s in atp.steps] == [(NOW, 3)]


def test_owed_units_already_tied_to_a_lot_are_not_taken_from_the_lots_again() -> None:
    # Berlin sold 3 beyond stock, and all 3 are tied to po:1 (its `promised`):
    # po:1 offers 10 - 3, and nothing else is taken for them.
    atp = available_to_promise(
        supply(
            (Stock("ber", -3),),
            (
                InboundLot("po:1", "ber", NOW + timedelta(days=3), 10, promised=3),
                InboundLot("po:2", "ber", NOW + timedelta(days=9), 4),
            ),
        ),
        NOW,
        NOW + timedelta(days=30),
    )
    assert [(s.reference, s.quantity, s.cumulative) for s in atp.steps] == [
        ("po:1", 7, 7),
        ("po:2", 4, 11),
    ]
    assert atp.unbacked == 0


def test_owed_units_no_lot_is_tied_to_still_take_from_the_lots() -> None:
    # Berlin owes 6, 2 of them tied to po:1; the other 4 (preordered, or cut
    # loose from their lot) take po:1's earliest free units, then po:2's.
    atp = available_to_promise(
        supply(
            (Stock("ber", -6), Stock("lax", -1)),
            (
                InboundLot("po:1", "ber", NOW + timedelta(days=3), 5, promised=2),
                InboundLot("po:2", "ber", NOW + timedelta(days=9), 4),
                # Tied to Los Angeles' backorder: does not cover Berlin's.
                InboundLot("po:la", "lax", NOW + timedelta(days=1), 3, promised=1),
            ),
        ),
        NOW,
        NOW + timedelta(days=30),
    )
    assert {s.reference: s.quantity for s in atp.steps} == {"po:la": 2, "po:2": 3}
    assert atp.unbacked == 0

    # More owed than the lots hold: the rest is unbacked, and no lot is offered.
    short = available_to_promise(
        supply(
            (Stock("ber", -9),),
            (InboundLot("po:1", "ber", NOW + timedelta(days=3), 5, promised=2),),
        ),
        NOW,
        NOW + timedelta(days=30),
    )
    assert short.steps == ()
    assert short.unbacked == 4


# -- ISO weeks, year ends and time zones ----------------------------------------------


def test_a_production_week_is_ready_when_it_ends_in_the_workshops_zone() -> None:
    week = IsoWeek(2027, 2)
    ber = available_to_promise(
        supply(production=(ProductionWeek("p", "ber", week, 1),)), NOW, NOW + timedelta(days=30)
    )
    lax = available_to_promise(
        supply(production=(ProductionWeek("p", "lax", week, 1),)), NOW, NOW + timedelta(days=30)
    )
    # Monday 2027-01-18 00:00 local: 23:00Z the day before in Berlin, 08:00Z in LA.
    assert ber.steps[0].ready_at == datetime(2027, 1, 17, 23, 0, tzinfo=UTC)
    assert lax.steps[0].ready_at == datetime(2027, 1, 18, 8, 0, tzinfo=UTC)
    assert ber.steps[0].ready_on == lax.steps[0].ready_on == date(2027, 1, 18)


def test_week_53_of_2026_ends_on_monday_4_january_2027() -> None:
    now = datetime(2026, 12, 30, 12, 0, tzinfo=UTC)
    atp = available_to_promise(
        supply(
            production=(
                ProductionWeek("p", "ber", IsoWeek(2026, 53), 2),
                ProductionWeek("p", "ber", IsoWeek(2027, 1), 3),
            )
        ),
        now,
        now + timedelta(days=30),
    )
    assert [(s.reference, s.ready_on, s.cumulative) for s in atp.steps] == [
        ("pool:p/2026-W53", date(2027, 1, 4), 2),
        ("pool:p/2027-W01", date(2027, 1, 11), 5),
    ]


def test_a_week_already_over_in_the_workshops_zone_offers_nothing() -> None:
    # 2027-01-10T23:30Z: Monday 00:30 in Berlin (week 1 is over there), still
    # Sunday afternoon in Los Angeles (week 1 still runs).
    now = datetime(2027, 1, 10, 23, 30, tzinfo=UTC)
    week = IsoWeek(2027, 1)
    made = (ProductionWeek("p", "ber", week, 4), ProductionWeek("q", "lax", week, 6))
    atp = available_to_promise(supply(production=made), now, now + timedelta(days=30))
    assert [(s.location, s.quantity) for s in atp.steps] == [("lax", 6)]


def test_stock_on_hand_is_ready_today_in_each_locations_own_zone() -> None:
    # 23:30Z on Monday 2027-01-04: already Tuesday in Berlin, Monday in LA.
    atp = available_to_promise(
        supply((Stock("ber", 1), Stock("lax", 1))), NOW, NOW + timedelta(days=1)
    )
    assert {s.location: s.ready_on for s in atp.steps} == {
        "ber": date(2027, 1, 5),
        "lax": date(2027, 1, 4),
    }


# -- properties --------------------------------------------------------------------

locations = st.sampled_from(["ber", "lax"])
stocks = st.lists(st.builds(Stock, locations, st.integers(-20, 20)), max_size=4)


@st.composite
def lots(draw: st.DrawFn) -> InboundLot:
    units = draw(st.integers(0, 15))
    return InboundLot(
        f"po:{draw(st.integers(0, 99))}",
        draw(locations),
        NOW + timedelta(hours=draw(st.integers(-48, 24 * 60))),
        units,
        draw(st.integers(0, units)),
    )


weeks = st.builds(
    ProductionWeek,
    st.sampled_from(["a", "b"]),
    locations,
    st.builds(lambda n: IsoWeek(2026, 50) + n, st.integers(0, 12)),
    st.integers(0, 30),
)


@settings(max_examples=300, deadline=None)
@given(
    stock=stocks,
    inbound=st.lists(lots(), max_size=5),
    production=st.lists(weeks, max_size=5),
    days=st.integers(1, 90),
)
def test_atp_never_promises_a_unit_twice_and_only_grows(
    stock: list[Stock], inbound: list[InboundLot], production: list[ProductionWeek], days: int
) -> None:
    until = NOW + timedelta(days=days)
    s = supply(tuple(stock), tuple(inbound), tuple(production))
    atp = available_to_promise(s, NOW, until)

    # Cumulative, monotone, in time order, within the view.
    running = 0
    for before, step in zip((None, *atp.steps), atp.steps, strict=False):
        assert step.quantity > 0
        running += step.quantity
        assert step.cumulative == running
        assert NOW <= step.ready_at <= until
        if before is not None:
            assert before.ready_at <= step.ready_at
    assert atp.total == running

    # On hand: exactly the positive availability.
    on_hand = [x for x in atp.steps if x.source is Source.ON_HAND]
    assert sum(x.quantity for x in on_hand) == sum(max(x.available, 0) for x in stock)

    # Inbound: never more than a lot's unpromised units; and every owed unit
    # is taken from a lot (as far as lots go) before any is offered.
    # Owed units tied to a lot of their location are in its `promised`
    # already; only the rest take from the lots.
    owed = 0
    for at in PLACES:
        short = sum(-x.available for x in stock if x.location == at and x.available < 0)
        tied = sum(x.promised for x in inbound if x.location == at)
        owed += max(short - tied, 0)
    free = sum(x.open - x.promised for x in inbound)
    offered_inbound = sum(x.quantity for x in atp.steps if x.source is Source.INBOUND)
    in_view = sum(x.open - x.promised for x in inbound if x.eta <= until)
    assert offered_inbound <= in_view
    covered = min(owed, free)
    assert atp.unbacked == owed - covered
    if all(x.eta <= until for x in inbound):
        assert offered_inbound == free - covered
    for lot in inbound:
        same = [x for x in atp.steps if x.reference == lot.reference and x.location == lot.location]
        lots_like_it = [
            y for y in inbound if (y.reference, y.location) == (lot.reference, lot.location)
        ]
        assert sum(x.quantity for x in same) <= sum(y.open - y.promised for y in lots_like_it)

    # Production: a week's free units at most once, only if it ends in view.
    offered_made = sum(x.quantity for x in atp.steps if x.source is Source.PRODUCTION)
    assert offered_made == sum(
        w.free for w in production if NOW < w.week.ends_at(PLACES[w.location].zone) <= until
    )


@settings(max_examples=200, deadline=None)
@given(stock=stocks, inbound=st.lists(lots(), max_size=5), production=st.lists(weeks, max_size=5))
def test_per_location_views_add_up_to_the_whole(
    stock: list[Stock], inbound: list[InboundLot], production: list[ProductionWeek]
) -> None:
    s = supply(tuple(stock), tuple(inbound), tuple(production))
    until = NOW + timedelta(days=90)
    whole = available_to_promise(s, NOW, until)
    parts = [available_to_promise(s, NOW, until, location=x) for x in PLACES]
    assert sum(p.total for p in parts) == whole.total
    pieces = sorted((x.ready_at, x.location, x.quantity) for p in parts for x in p.steps)
    assert pieces == sorted((x.ready_at, x.location, x.quantity) for x in whole.steps)
