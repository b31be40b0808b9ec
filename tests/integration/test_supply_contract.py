"""The `SupplyReader` contract, on the fake and on PostgreSQL: the SKU, live
availability per level (backorders below zero), open inbound (transfers in
flight and purchase orders) at its `expected_at` with the units already tied
to backorders, a made-to-order SKU's free production weeks in its lead
time / `until` window, and the locations they name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from stockd.domain.atp import InboundLot, ProductionWeek, Stock
from stockd.domain.capacity import CapacityPool
from stockd.domain.catalog import InventoryType, Location, Sku
from stockd.domain.commands import (
    BookSlots,
    CreateCapacityPool,
    CreateLocation,
    CreatePurchaseOrder,
    CreateSku,
    CreateTransfer,
    CutPurchaseOrder,
    LineRequest,
    PlaceOrder,
    ReceivePurchaseOrder,
    ReceiveTransfer,
    Reserve,
    SetCapacity,
    SkuQuantity,
    WeekUnits,
)
from stockd.domain.weeks import IsoWeek
from tests.support import ADMIN, T0, seed


def clock_of(c: Container) -> ManualClock:
    clock = c.clock
    assert isinstance(clock, ManualClock)
    return clock


async def purchase(c: Container, po_id: str, location: str, eta: datetime, **units: int) -> None:
    lines = tuple(SkuQuantity(sku, n) for sku, n in units.items())
    await c.bus.handle(CreatePurchaseOrder(po_id, "ACME", location, lines, eta), ADMIN)


async def test_supply_reads_levels_live_and_open_inbound_with_its_ties(
    backend: Container,
) -> None:
    c = backend
    await seed(
        c.bus,
        skus={"A": 0, "B": 0},
        locations={"x": 1, "y": 2, "z": 3},
        stock={("A", "y"): 20, ("B", "y"): 3},
        backorder={"A": 10},
    )
    clock = clock_of(c)
    # A transfer with an ETA of its own, and one with the default (sent + 7 days).
    first = await c.bus.handle(
        CreateTransfer("y", "x", (SkuQuantity("A", 6),), expected_at=T0 + timedelta(days=4)),
        ADMIN,
    )
    clock.set(T0 + timedelta(hours=5))
    second = await c.bus.handle(
        CreateTransfer("y", "z", (SkuQuantity("A", 4), SkuQuantity("B", 1))), ADMIN
    )
    await c.bus.handle(ReceiveTransfer(second.id, (SkuQuantity("A", 1),)), ADMIN)
    # A received transfer is no longer inbound.
    done = await c.bus.handle(CreateTransfer("y", "z", (SkuQuantity("A", 2),)), ADMIN)
    await c.bus.handle(ReceiveTransfer(done.id), ADMIN)

    # Purchase orders: partly received and partly cut (5 of 10 still open);
    # one due long after `until` (read all the same: what is tied to it is
    # owed); one received and one cancelled (no longer inbound).
    await purchase(c, "PO-1", "z", T0 + timedelta(days=20), A=10, B=2)
    await c.bus.handle(ReceivePurchaseOrder("PO-1", (SkuQuantity("A", 4),)), ADMIN)
    await c.bus.handle(CutPurchaseOrder("PO-1", (SkuQuantity("A", 1),)), ADMIN)
    await purchase(c, "PO-2", "x", T0 + timedelta(days=60), A=3)
    await purchase(c, "PO-3", "x", T0 + timedelta(days=2), A=2)
    await c.bus.handle(ReceivePurchaseOrder("PO-3", (SkuQuantity("A", 2),)), ADMIN)
    await purchase(c, "PO-4", "x", T0 + timedelta(days=3), A=2)
    await c.bus.handle(CutPurchaseOrder("PO-4"), ADMIN)

    # Sold beyond stock at x (PO-3's 2 arrived there): 8 ordered leave x at
    # -6, tied FIFO to the earliest inbound at x: all 6 of the first transfer.
    await c.bus.handle(PlaceOrder("o1", "f", (LineRequest("A", 8, "x"),)), ADMIN)
    # A hold that lapsed no longer counts (live figures).
    await c.bus.handle(Reserve((LineRequest("A", 1, "y"),), ttl_seconds=1), ADMIN)
    clock.set(T0 + timedelta(hours=6))

    now = clock.now()
    found = await c.promises.supply.supply("A", now, now + timedelta(days=30))
    assert found is not None
    assert found.sku.sku == "A"
    assert sorted(found.stock, key=lambda s: s.location) == [
        Stock("x", -6),
        Stock("y", 8),
        Stock("z", 7),
    ]
    assert list(found.inbound) == [
        InboundLot(f"transfer:{first.id}", "x", T0 + timedelta(days=4), 6, promised=6),
        InboundLot(f"transfer:{second.id}", "z", T0 + timedelta(hours=5, days=7), 3),
        InboundLot("po:PO-1", "z", T0 + timedelta(days=20), 5),
        InboundLot("po:PO-2", "x", T0 + timedelta(days=60), 3),
    ]
    assert set(found.locations) == {"x", "y", "z"}
    assert found.production == ()

    # More backorders at x: the transfer is all promised, so they tie to PO-2.
    await c.bus.handle(PlaceOrder("o2", "g", (LineRequest("A", 2, "x"),)), ADMIN)
    again = await c.promises.supply.supply("A", now, now + timedelta(days=30))
    assert again is not None
    assert [(lot.reference, lot.open, lot.promised) for lot in again.inbound] == [
        (f"transfer:{first.id}", 6, 6),
        (f"transfer:{second.id}", 3, 0),
        ("po:PO-1", 5, 0),
        ("po:PO-2", 3, 2),
    ]
    assert Stock("x", -8) in again.stock

    b = await c.promises.supply.supply("B", now, now + timedelta(days=1))
    assert b is not None
    assert [(lot.reference, lot.open) for lot in b.inbound] == [
        (f"transfer:{second.id}", 1),
        ("po:PO-1", 2),
    ]

    assert await c.promises.supply.supply("NOPE", now, now + timedelta(days=1)) is None
    assert set(await c.promises.supply.locations(["x", "nowhere"])) == {"x"}


async def test_supply_reads_a_made_to_order_skus_free_weeks_in_its_window(
    backend: Container,
) -> None:
    """Workshop `w` works on Berlin time; pool P (lead time 2 weeks). T0 is in
    2026-W01, so the first week ATP offers is W03."""
    c = backend
    works = Location("w", "Works", timezone="Europe/Berlin")
    await c.bus.handle(CreateLocation(works), ADMIN)
    await c.bus.handle(CreateCapacityPool(CapacityPool("P", "w", "Pool P", 2)), ADMIN)
    made = Sku("M", "P", "M", inventory_type=InventoryType.MADE_TO_ORDER, capacity_pool="P")
    await c.bus.handle(CreateSku(made), ADMIN)
    await seed(c.bus, skus={"A": 0})
    weeks = {"2026-W02": 5, "2026-W03": 4, "2026-W04": 3, "2026-W05": 6, "2026-W06": 7}
    await c.bus.handle(SetCapacity("P", tuple(WeekUnits(w, n) for w, n in weeks.items())), ADMIN)
    await c.bus.handle(BookSlots((LineRequest("M", 3),)), ADMIN)  # held: W03 (1 left)
    await c.bus.handle(PlaceOrder("o1", "f", (LineRequest("M", 3),)), ADMIN)  # all of W04

    now = clock_of(c).now()
    # W05 ends at Monday 2 February 00:00 in Berlin.
    w05_ends = datetime(2026, 2, 1, 23, 0, tzinfo=UTC)
    found = await c.promises.supply.supply("M", now, w05_ends)
    assert found is not None
    assert list(found.production) == [
        ProductionWeek("P", "w", IsoWeek(2026, 3), 1),
        ProductionWeek("P", "w", IsoWeek(2026, 5), 6),
    ]
    assert "w" in found.locations
    assert found.locations["w"].zone.key == "Europe/Berlin"
    assert found.inbound == ()

    # A week that has not ended by `until` is left out.
    sooner = await c.promises.supply.supply("M", now, w05_ends - timedelta(seconds=1))
    assert sooner is not None
    assert [w.week for w in sooner.production] == [IsoWeek(2026, 3)]
    later = await c.promises.supply.supply("M", now, w05_ends + timedelta(weeks=1))
    assert later is not None
    assert [(str(w.week), w.free) for w in later.production] == [
        ("2026-W03", 1),
        ("2026-W05", 6),
        ("2026-W06", 7),
    ]

    # The lead time counts from this week in the workshop's zone.
    clock_of(c).set(datetime(2026, 1, 4, 23, 30, tzinfo=UTC))  # Monday of W02 in Berlin
    moved = await c.promises.supply.supply("M", clock_of(c).now(), w05_ends)
    assert moved is not None
    assert [w.week for w in moved.production] == [IsoWeek(2026, 5)]

    # A physical SKU has no production.
    a = await c.promises.supply.supply("A", now, w05_ends)
    assert a is not None
    assert a.production == ()
