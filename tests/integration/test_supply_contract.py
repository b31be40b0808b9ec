"""The `SupplyReader` contract, on the fake and on PostgreSQL: the SKU, live
availability per level (backorders below zero), transfers in flight as
inbound lots due a set time after they left, and the locations they name."""

from __future__ import annotations

from datetime import timedelta

from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from stockd.domain.atp import InboundLot, Stock
from stockd.domain.commands import (
    CreateTransfer,
    LineRequest,
    PlaceOrder,
    ReceiveTransfer,
    Reserve,
    SkuQuantity,
)
from tests.support import ADMIN, T0, seed


async def test_supply_reads_levels_live_and_transfers_in_flight(backend: Container) -> None:
    c = backend
    await seed(
        c.bus,
        skus={"A": 0, "B": 0},
        locations={"x": 1, "y": 2, "z": 3},
        stock={("A", "y"): 20, ("B", "y"): 3},
        backorder={"A": 5},
    )
    first = await c.bus.handle(CreateTransfer("y", "x", (SkuQuantity("A", 6),)), ADMIN)
    clock = c.clock
    assert isinstance(clock, ManualClock)
    clock.set(T0 + timedelta(hours=5))
    second = await c.bus.handle(
        CreateTransfer("y", "z", (SkuQuantity("A", 4), SkuQuantity("B", 1))), ADMIN
    )
    await c.bus.handle(ReceiveTransfer(second.id, (SkuQuantity("A", 1),)), ADMIN)
    # A received transfer is no longer inbound.
    done = await c.bus.handle(CreateTransfer("y", "z", (SkuQuantity("A", 2),)), ADMIN)
    await c.bus.handle(ReceiveTransfer(done.id), ADMIN)
    # Sold beyond stock at x (backorder cap 5): x owes 2 units.
    await c.bus.handle(PlaceOrder("o1", "f", (LineRequest("A", 2, "x"),)), ADMIN)
    # A hold that lapsed no longer counts (live figures).
    await c.bus.handle(Reserve((LineRequest("A", 1, "y"),), ttl_seconds=1), ADMIN)
    clock.set(T0 + timedelta(hours=6))

    now = clock.now()
    eta = timedelta(days=c.settings.transfer_eta_days)
    found = await c.promises.supply.supply("A", now, now + timedelta(days=30))
    assert found is not None
    assert found.sku.sku == "A"
    assert sorted(found.stock, key=lambda s: s.location) == [
        Stock("x", -2),
        Stock("y", 8),
        Stock("z", 3),
    ]
    assert sorted(found.inbound, key=lambda lot: lot.eta) == [
        InboundLot(f"transfer:{first.id}", "x", T0 + eta, 6),
        InboundLot(f"transfer:{second.id}", "z", T0 + timedelta(hours=5) + eta, 3),
    ]
    assert set(found.locations) == {"x", "y", "z"}
    assert found.production == ()

    # Lots due after `until` are left out.
    soon = await c.promises.supply.supply("A", now, T0 + eta)
    assert soon is not None
    assert [lot.location for lot in soon.inbound] == ["x"]

    assert await c.promises.supply.supply("NOPE", now, now + timedelta(days=1)) is None
    assert set(await c.promises.supply.locations(["x", "nowhere"])) == {"x"}
