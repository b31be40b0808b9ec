"""Order use cases on the in-memory fake and on PostgreSQL alike."""

from __future__ import annotations

import pytest

from stockd import errors
from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from stockd.domain.commands import (
    CancelOrder,
    CommitReservation,
    CreateTransfer,
    LineRequest,
    PlaceOrder,
    ReceiveTransfer,
    RecordSale,
    Reserve,
    ReturnItems,
    ShipOrder,
    SkuQuantity,
)
from stockd.domain.orders import OrderStatus
from stockd.domain.quantities import Level
from tests.support import ADMIN, seed


async def level(c: Container, sku: str, location: str) -> Level:
    found = await c.reads.levels(c.clock.now(), sku=sku, location=location, after=None, limit=1)
    return found[0]


async def clean(c: Container) -> None:
    assert (await c.reads.verify()).discrepancies == ()


async def setup(c: Container) -> None:
    await seed(
        c.bus,
        skus={"A": 0, "B": 0},
        locations={"x": 1, "y": 2},
        stock={("A", "x"): 4, ("A", "y"): 6, ("B", "y"): 2},
    )


async def test_an_order_from_lines_commits_and_ships(backend: Container) -> None:
    await setup(backend)
    placed = await backend.bus.handle(
        PlaceOrder("O1", "f", lines=(LineRequest("A", 5), LineRequest("B", 1))), ADMIN
    )
    assert {(x.sku, x.location, x.committed) for x in placed.order.lines} == {
        ("A", "x", 4),
        ("A", "y", 1),
        ("B", "y", 1),
    }
    order = await backend.bus.handle(
        ShipOrder("O1", "y", (SkuQuantity("A", 1), SkuQuantity("B", 1))), ADMIN
    )
    assert order.status is OrderStatus.PARTIALLY_SHIPPED
    y = await level(backend, "A", "y")
    assert (y.quantities.on_hand, y.quantities.committed) == (5, 0)
    order = await backend.bus.handle(ShipOrder("O1", "x", (SkuQuantity("A", 4),)), ADMIN)
    assert order.status is OrderStatus.SHIPPED
    await clean(backend)


async def test_committing_a_reservation_creates_its_order(backend: Container) -> None:
    await setup(backend)
    hold = await backend.bus.handle(Reserve((LineRequest("A", 2),)), ADMIN)
    await backend.bus.handle(CommitReservation(hold.id, "O2"), ADMIN)
    order = await backend.reads.order("O2")
    assert order is not None
    assert (order.reservation_id, order.lines[0].committed) == (hold.id, 2)
    other = await backend.bus.handle(Reserve((LineRequest("A", 1),)), ADMIN)
    with pytest.raises(errors.AlreadyExists):
        await backend.bus.handle(CommitReservation(other.id, "O2"), ADMIN)
    await clean(backend)


async def test_cancel_releases_only_what_is_not_shipped(backend: Container) -> None:
    await setup(backend)
    await backend.bus.handle(PlaceOrder("O3", "f", lines=(LineRequest("A", 3, "y"),)), ADMIN)
    await backend.bus.handle(ShipOrder("O3", "y", (SkuQuantity("A", 1),)), ADMIN)
    order = await backend.bus.handle(CancelOrder("O3"), ADMIN)
    assert order.status is OrderStatus.CANCELLED
    assert (order.lines[0].shipped, order.lines[0].cancelled) == (1, 2)
    y = await level(backend, "A", "y")
    assert (y.quantities.on_hand, y.quantities.committed, y.available) == (5, 0, 5)
    with pytest.raises(errors.OrderClosed):
        await backend.bus.handle(CancelOrder("O3"), ADMIN)
    await clean(backend)


async def test_returns_restock_in_their_condition_and_never_exceed_shipments(
    backend: Container,
) -> None:
    await setup(backend)
    await backend.bus.handle(PlaceOrder("O4", "f", lines=(LineRequest("A", 6, "y"),)), ADMIN)
    await backend.bus.handle(ShipOrder("O4", "y", (SkuQuantity("A", 3),)), ADMIN)
    await backend.bus.handle(
        ReturnItems("O4", "x", "quality_control", (SkuQuantity("A", 2),)), ADMIN
    )
    x = await level(backend, "A", "x")
    assert (x.quantities.on_hand, x.quantities.quality_control, x.available) == (6, 2, 4)
    with pytest.raises(errors.BeyondRecorded):
        await backend.bus.handle(
            ReturnItems("O4", "x", "resellable", (SkuQuantity("A", 2),)), ADMIN
        )
    await clean(backend)


async def test_transfers_and_store_sales(backend: Container) -> None:
    await setup(backend)
    transfer = await backend.bus.handle(CreateTransfer("y", "x", (SkuQuantity("A", 6),)), ADMIN)
    with pytest.raises(errors.InsufficientStock):
        await backend.bus.handle(CreateTransfer("y", "x", (SkuQuantity("A", 1),)), ADMIN)
    await backend.bus.handle(ReceiveTransfer(transfer.id, (SkuQuantity("A", 2),)), ADMIN)
    x = await level(backend, "A", "x")
    assert (x.quantities.on_hand, x.quantities.incoming) == (6, 4)
    sale = RecordSale("x", "R-1", (SkuQuantity("A", 6),), "f")
    assert not (await backend.bus.handle(sale, ADMIN)).replayed
    assert (await backend.bus.handle(sale, ADMIN)).replayed
    assert (await level(backend, "A", "x")).quantities.on_hand == 0
    await clean(backend)


def ticking(c: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the container's clock move a millisecond on every reading."""
    clock = c.clock
    assert isinstance(clock, ManualClock)
    monkeypatch.setattr(clock, "now", lambda: clock.advance(0.001))


async def test_an_order_is_stored_with_the_time_it_was_answered_with(
    backend: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    await setup(backend)
    ticking(backend, monkeypatch)
    placed = await backend.bus.handle(PlaceOrder("O1", "f", lines=(LineRequest("A", 1),)), ADMIN)
    stored = await backend.reads.order("O1")
    assert stored is not None
    assert stored.created_at == placed.order.created_at
    hold = await backend.bus.handle(Reserve((LineRequest("A", 1),)), ADMIN)
    placed = await backend.bus.handle(PlaceOrder("O2", "g", reservation_id=hold.id), ADMIN)
    stored = await backend.reads.order("O2")
    assert stored is not None
    assert stored.created_at == placed.order.created_at


async def test_shipping_backordered_units_names_how_many_are_not_on_hand(
    backend: Container,
) -> None:
    await seed(
        backend.bus,
        skus={"B": 0},
        locations={"x": 1},
        stock={("B", "x"): 2},
        backorder={"B": 5},
        inbound={("B", "x"): 3},
    )
    await backend.bus.handle(PlaceOrder("O5", "f", lines=(LineRequest("B", 5, "x"),)), ADMIN)
    with pytest.raises(errors.InsufficientStock) as caught:
        await backend.bus.handle(ShipOrder("O5", "x", (SkuQuantity("B", 5),)), ADMIN)
    assert caught.value.lines == (errors.ShortLine("B", "x", 5, 2),)
    assert caught.value.lines[0].short == 3
    assert "3 of the 5 units" in caught.value.detail
    order = await backend.bus.handle(ShipOrder("O5", "x", (SkuQuantity("B", 2),)), ADMIN)
    assert order.lines[0].shipped == 2
    await clean(backend)
