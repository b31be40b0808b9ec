"""ATP and promises through the service (`stockd.service.promising`) over
the in-memory fakes: what is read, what is refused and how."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from stockd import errors
from stockd.adapters.clock import ManualClock
from stockd.adapters.memory.supply import MemorySupplyReader
from stockd.bootstrap import Container, build_in_memory
from stockd.config import Settings
from stockd.domain.atp import InboundLot, ProductionWeek
from stockd.domain.catalog import Location
from stockd.domain.commands import (
    ArchiveSku,
    CreateLocation,
    CreateTransfer,
    LineRequest,
    Reserve,
    SkuQuantity,
)
from stockd.domain.geo import Point
from stockd.domain.promise import Destination
from stockd.domain.supply import Source
from stockd.domain.weeks import IsoWeek
from tests.support import ADMIN, T0, seed

HAMBURG = Destination(Point(53.55, 9.99), "DE")


@pytest.fixture
def c() -> Container:
    settings = Settings(
        env="test",
        _env_file=None,  # type: ignore[call-arg]
        promise_transit_days='{"DE": {"DE": 2}}',
        transfer_eta_days=3,
    )
    return build_in_memory(settings, ManualClock(T0))


def fake(c: Container) -> MemorySupplyReader:
    supply = c.promises.supply
    assert isinstance(supply, MemorySupplyReader)
    return supply


async def setup(c: Container) -> None:
    """Berlin (DE, priority 1) with 4 SOFA, Munich (DE, 2) with 10 SOFA; LAMP nowhere."""
    for loc, prio, lat, lon in (("ber", 1, 52.52, 13.40), ("muc", 2, 48.14, 11.58)):
        location = Location(
            loc, loc, region="DE", lat=lat, lon=lon, priority=prio, timezone="Europe/Berlin"
        )
        await c.bus.handle(CreateLocation(location), ADMIN)
    await seed(c.bus, skus={"SOFA": 0, "LAMP": 0}, stock={("SOFA", "ber"): 4, ("SOFA", "muc"): 10})


async def test_atp_adds_transfers_in_flight_purchase_orders_and_production(c: Container) -> None:
    await setup(c)
    await c.bus.handle(CreateTransfer("muc", "ber", (SkuQuantity("SOFA", 6),)), ADMIN)
    fake(c).inbound["SOFA"] = [InboundLot("po:9", "muc", T0 + timedelta(days=10), 5, promised=2)]
    fake(c).production["SOFA"] = [ProductionWeek("sofas", "ber", IsoWeek(2026, 4), 7)]

    atp = await c.promises.atp("SOFA")
    trf = next(s.reference for s in atp.steps if s.source is Source.INBOUND)
    assert trf is not None
    assert trf.startswith("transfer:trf_")
    assert [(s.source, s.location, s.quantity, s.cumulative) for s in atp.steps] == [
        (Source.ON_HAND, "ber", 4, 4),
        (Source.ON_HAND, "muc", 4, 8),  # 6 of its 10 left for Berlin
        (Source.INBOUND, "ber", 6, 14),  # the transfer, due 3 days after it left
        (Source.INBOUND, "muc", 3, 17),
        (Source.PRODUCTION, "ber", 7, 24),
    ]
    assert atp.steps[2].ready_at == T0 + timedelta(days=3)
    assert atp.until == T0 + timedelta(days=c.settings.atp_default_days)


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
