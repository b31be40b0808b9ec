"""ATP and promises through the service (`stockd.service.promising`) over
the in-memory fakes: what is read, what is refused and how."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from stockd import errors
from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container, build_in_memory
from stockd.config import Settings
from stockd.domain.capacity import CapacityPool
from stockd.domain.catalog import InventoryType, Location, Sku
from stockd.domain.commands import (
    ArchiveSku,
    BookSlots,
    CreateCapacityPool,
    CreateLocation,
    CreatePurchaseOrder,
    CreateSku,
    CreateTransfer,
    LineRequest,
    PlaceOrder,
    Reserve,
    SetCapacity,
    SkuQuantity,
    UpdateSku,
    WeekUnits,
)
from stockd.domain.geo import Point
from stockd.domain.promise import Destination
from stockd.domain.supply import Source
from tests.support import ADMIN, T0, seed

HAMBURG = Destination(Point(53.55, 9.99), "DE")


@pytest.fixture
def c() -> Container:
    settings = Settings(
        env="test",
        _env_file=None,  # type: ignore[call-arg]
        promise_transit_days='{"DE": {"DE": 2}}',
    )
    return build_in_memory(settings, ManualClock(T0))


async def setup(c: Container) -> None:
    """Berlin (DE, priority 1) with 4 SOFA, Munich (DE, 2) with 10 SOFA; LAMP nowhere."""
    for loc, prio, lat, lon in (("ber", 1, 52.52, 13.40), ("muc", 2, 48.14, 11.58)):
        location = Location(
            loc, loc, region="DE", lat=lat, lon=lon, priority=prio, timezone="Europe/Berlin"
        )
        await c.bus.handle(CreateLocation(location), ADMIN)
    await seed(c.bus, skus={"SOFA": 0, "LAMP": 0}, stock={("SOFA", "ber"): 4, ("SOFA", "muc"): 10})


async def workshop(c: Container) -> None:
    """Workshop `works` (Berlin time, DE); pool `chairs` there, lead time one
    week; CHAIR made to order in it. T0 is in 2026-W01: capacity W01 9 (too
    soon), W02 6, W03 0, W04 5, W30 8 (beyond the default horizon)."""
    works = Location("works", "Works", region="DE", lat=52.0, lon=13.0, timezone="Europe/Berlin")
    await c.bus.handle(CreateLocation(works), ADMIN)
    pool = CapacityPool("chairs", "works", "Chairs", lead_time_weeks=1)
    await c.bus.handle(CreateCapacityPool(pool), ADMIN)
    chair = Sku(
        "CHAIR", "P", "Chair", inventory_type=InventoryType.MADE_TO_ORDER, capacity_pool="chairs"
    )
    await c.bus.handle(CreateSku(chair), ADMIN)
    weeks = {"2026-W01": 9, "2026-W02": 6, "2026-W03": 0, "2026-W04": 5, "2026-W30": 8}
    units = tuple(WeekUnits(w, n) for w, n in weeks.items())
    await c.bus.handle(SetCapacity("chairs", units), ADMIN)


async def test_atp_adds_transfers_in_flight_and_purchase_orders_less_their_tied_units(
    c: Container,
) -> None:
    await setup(c)
    await c.bus.handle(UpdateSku("SOFA", {"policy": "backorder", "backorder_cap": 5}), ADMIN)
    transfer = await c.bus.handle(CreateTransfer("muc", "ber", (SkuQuantity("SOFA", 6),)), ADMIN)
    po = (SkuQuantity("SOFA", 5),)
    await c.bus.handle(
        CreatePurchaseOrder("PO-9", "ACME", "muc", po, T0 + timedelta(days=10)), ADMIN
    )
    # Munich has 4 left: an order for 6 backorders 2, tied to PO-9.
    await c.bus.handle(PlaceOrder("o1", "o1", (LineRequest("SOFA", 6, "muc"),)), ADMIN)

    atp = await c.promises.atp("SOFA")
    assert [(s.source, s.location, s.reference, s.quantity, s.cumulative) for s in atp.steps] == [
        (Source.ON_HAND, "ber", None, 4, 4),
        # The transfer, due at its expected_at (sent now, default transit).
        (Source.INBOUND, "ber", f"transfer:{transfer.id}", 6, 10),
        # PO-9's 5 less the 2 tied to the order, once (Munich's -2 is not
        # taken from the lots again).
        (Source.INBOUND, "muc", "po:PO-9", 3, 13),
    ]
    assert atp.unbacked == 0
    assert atp.steps[1].ready_at == T0 + timedelta(days=c.settings.transfer_default_days)
    assert atp.steps[2].ready_at == T0 + timedelta(days=10)
    assert atp.until == T0 + timedelta(days=c.settings.atp_default_days)


async def test_atp_adds_a_made_to_order_skus_free_weeks_from_its_lead_time(c: Container) -> None:
    await workshop(c)
    await c.bus.handle(BookSlots((LineRequest("CHAIR", 2),)), ADMIN)  # held in W02
    await c.bus.handle(PlaceOrder("o1", "o1", (LineRequest("CHAIR", 1),)), ADMIN)  # W02

    atp = await c.promises.atp("CHAIR")
    # W01 is before this week + the lead time, W03 has nothing free, W30
    # ends after `until`; W02 offers 6 less 2 held and 1 committed.
    assert [(s.source, s.reference, s.quantity, s.cumulative) for s in atp.steps] == [
        (Source.PRODUCTION, "pool:chairs/2026-W02", 3, 3),
        (Source.PRODUCTION, "pool:chairs/2026-W04", 5, 8),
    ]
    # Ready when the week ends in Berlin: Monday 00:00 CET.
    assert atp.steps[0].ready_at == datetime(2026, 1, 11, 23, 0, tzinfo=UTC)
    assert atp.steps[0].ready_on == date(2026, 1, 12)
    assert atp.steps[1].ready_on == date(2026, 1, 26)

    # A week is in view only once it ends by `until`.
    w04_ends = datetime(2026, 1, 25, 23, 0, tzinfo=UTC)
    assert (await c.promises.atp("CHAIR", until=w04_ends - timedelta(seconds=1))).total == 3
    assert (await c.promises.atp("CHAIR", until=w04_ends)).total == 8
    farther = await c.promises.atp("CHAIR", until=T0 + timedelta(days=366))
    assert [s.reference for s in farther.steps][-1] == "pool:chairs/2026-W30"
    assert farther.total == 16


async def test_a_made_to_order_promise_counts_from_the_end_of_its_week(c: Container) -> None:
    await workshop(c)
    six = await c.promises.promise([SkuQuantity("CHAIR", 6)], HAMBURG)
    [line] = six.lines
    # W02 alone (ready Monday 12 January) + 1 handling + 2 transit (DE → DE)
    # + 2 window + 7 supplier buffer; a seventh unit waits for W04 (26 January).
    assert [(x.step.reference, x.quantity) for x in line.legs] == [("pool:chairs/2026-W02", 6)]
    assert line.deliver_by == date(2026, 1, 12) + timedelta(days=12)
    more = await c.promises.promise([SkuQuantity("CHAIR", 7)], HAMBURG)
    assert more.lines[0].deliver_by == date(2026, 1, 26) + timedelta(days=12)
    assert [x.safety_buffer_days for x in more.lines[0].legs] == [7, 7]


async def test_held_units_are_not_promised_until_their_hold_lapses(c: Container) -> None:
    await setup(c)
    await c.bus.handle(Reserve((LineRequest("SOFA", 3, "ber"),), ttl_seconds=60), ADMIN)
    assert (await c.promises.atp("SOFA", location="ber")).total == 1
    clock = c.clock
    assert isinstance(clock, ManualClock)
    clock.set(T0 + timedelta(seconds=61))
    assert (await c.promises.atp("SOFA", location="ber")).total == 4


async def test_atp_refuses_unknown_skus_and_locations_and_until_outside_the_horizon(
    c: Container,
) -> None:
    await setup(c)
    with pytest.raises(errors.NotFound, match="'NOPE'"):
        await c.promises.atp("NOPE")
    with pytest.raises(errors.UnknownReference) as unknown:
        await c.promises.atp("SOFA", location="nowhere")
    assert [i.field for i in unknown.value.issues] == ["location"]
    for until in (T0, T0 - timedelta(days=1), T0 + timedelta(days=367)):
        with pytest.raises(errors.InvalidRequest) as bad:
            await c.promises.atp("SOFA", until=until)
        assert [i.field for i in bad.value.issues] == ["until"]
    assert (await c.promises.atp("SOFA", until=T0 + timedelta(days=366))).total == 14


async def test_a_promise_counts_days_with_the_configured_terms(c: Container) -> None:
    await setup(c)
    made = await c.promises.promise([SkuQuantity("SOFA", 5)], HAMBURG)
    [line] = made.lines
    # Munich alone, today: 1 handling + 2 transit (DE → DE) + 2 window.
    assert [(x.step.location, x.quantity) for x in line.legs] == [("muc", 5)]
    assert line.deliver_by == date(2026, 1, 1) + timedelta(days=5)
    assert made.until == T0 + timedelta(days=366)


async def test_promise_refuses_duplicates_unknown_and_archived_skus(c: Container) -> None:
    await setup(c)
    with pytest.raises(errors.DuplicateLines):
        await c.promises.promise([SkuQuantity("SOFA", 1), SkuQuantity("SOFA", 2)], HAMBURG)
    with pytest.raises(errors.UnknownReference) as unknown:
        await c.promises.promise([SkuQuantity("SOFA", 1), SkuQuantity("NOPE", 1)], HAMBURG)
    assert [i.field for i in unknown.value.issues] == ["lines[1].sku"]
    await c.bus.handle(ArchiveSku("LAMP"), ADMIN)
    with pytest.raises(errors.InvalidRequest) as archived:
        await c.promises.promise([SkuQuantity("LAMP", 1)], HAMBURG)
    assert [i.field for i in archived.value.issues] == ["lines[0].sku"]


async def test_a_cart_with_a_line_that_cannot_be_promised_is_refused_naming_it(
    c: Container,
) -> None:
    await setup(c)
    with pytest.raises(errors.InsufficientStock) as short:
        await c.promises.promise([SkuQuantity("SOFA", 2), SkuQuantity("LAMP", 1)], HAMBURG)
    assert [x.as_dict() for x in short.value.lines] == [
        {"sku": "LAMP", "location": None, "requested": 1, "available": 0, "short": 1}
    ]
    assert "line 1 (LAMP, 1 unit): no supply at all" in short.value.detail
    with pytest.raises(errors.InsufficientStock) as more:
        await c.promises.promise([SkuQuantity("SOFA", 15)], HAMBURG)
    assert "only 14 can be had" in more.value.detail
