"""The newest-first lists (orders, reservations, transfers, sales, returns):
the same answers from the in-memory fake and from PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from stockd.domain.commands import (
    CancelOrder,
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
from stockd.domain.reservations import ReservationStatus
from stockd.domain.transfers import TransferStatus
from stockd.service.listing import (
    OrderFilter,
    Position,
    ReservationFilter,
    ReturnFilter,
    SaleFilter,
    TransferFilter,
    position_of,
)
from tests.support import ADMIN, T0, seed

Fetch = Callable[[Position | None, int], Awaitable[list[Any]]]


def clock(c: Container) -> ManualClock:
    assert isinstance(c.clock, ManualClock)
    return c.clock


async def walk(fetch: Fetch, size: int) -> list[Any]:
    """Every item, a page of `size` at a time, as the routes page: each page
    resumes after the last item of the one before."""
    seen: list[Any] = []
    after: Position | None = None
    while True:
        found = await fetch(after, size + 1)
        seen += found[:size]
        if len(found) <= size:
            return seen
        after = position_of(found[size - 1])


async def setup(c: Container) -> None:
    await seed(
        c.bus,
        skus={"A": 0, "B": 0},
        locations={"x": 1, "y": 2},
        stock={("A", "x"): 50, ("A", "y"): 50, ("B", "y"): 50},
    )


async def place(c: Container, order_id: str, *lines: LineRequest) -> None:
    await c.bus.handle(PlaceOrder(order_id, order_id, lines=lines), ADMIN)


async def test_orders_are_listed_newest_first_and_filtered(backend: Container) -> None:
    await setup(backend)
    await place(backend, "O1", LineRequest("A", 1, "x"))
    clock(backend).advance(60)
    await place(backend, "O2", LineRequest("B", 1, "y"))
    clock(backend).advance(60)
    await place(backend, "O3", LineRequest("A", 1, "y"), LineRequest("B", 2, "y"))
    await backend.bus.handle(ShipOrder("O2", "y", (SkuQuantity("B", 1),)), ADMIN)
    await backend.bus.handle(CancelOrder("O1"), ADMIN)

    async def ids(only: OrderFilter) -> list[str]:
        return [o.id for o in await backend.reads.orders(only, None, 10)]

    assert await ids(OrderFilter()) == ["O3", "O2", "O1"]
    assert await ids(OrderFilter(status=OrderStatus.OPEN)) == ["O3"]
    assert await ids(OrderFilter(status=OrderStatus.CANCELLED)) == ["O1"]
    assert await ids(OrderFilter(sku="B")) == ["O3", "O2"]
    assert await ids(OrderFilter(location="x")) == ["O1"]
    assert await ids(OrderFilter(sku="A", location="y")) == ["O3"]
    assert await ids(OrderFilter(sku="nope")) == []
    minute = T0 + timedelta(seconds=60)
    assert await ids(OrderFilter(created_after=minute)) == ["O3", "O2"]
    assert await ids(OrderFilter(created_before=minute)) == ["O1"]
    assert await ids(OrderFilter(created_after=minute, created_before=minute)) == []
    [o3] = await backend.reads.orders(OrderFilter(status=OrderStatus.OPEN), None, 10)
    assert [(x.sku, x.location, x.ordered) for x in o3.lines] == [("A", "y", 1), ("B", "y", 2)]
    assert o3 == await backend.reads.order("O3")


async def test_items_created_at_the_same_time_page_by_id_exactly_once(
    backend: Container,
) -> None:
    await setup(backend)
    codes = [f"O{i:02}" for i in range(7)]
    for code in codes:  # the clock stands still: every order has the same time
        await place(backend, code, LineRequest("A", 1, "x"))
    for size in (1, 2, 3, 7, 8):
        found = await walk(lambda after, n: backend.reads.orders(OrderFilter(), after, n), size)
        assert [o.id for o in found] == codes[::-1], size


async def test_a_reader_paging_while_orders_are_placed_sees_each_earlier_one_once(
    backend: Container,
) -> None:
    await setup(backend)
    for i in range(6):
        await place(backend, f"OLD{i}", LineRequest("A", 1, "x"))
        clock(backend).advance(1)
    seen: list[str] = []
    after: Position | None = None
    for n in range(20):
        found = await backend.reads.orders(OrderFilter(), after, 3)
        seen += [o.id for o in found[:2]]
        if len(found) <= 2:
            break
        after = position_of(found[1])
        # Orders placed between pages, some in the same instant as the last one read.
        await place(backend, f"NEW{n}a", LineRequest("A", 1, "x"))
        clock(backend).advance(1)
        await place(backend, f"NEW{n}b", LineRequest("A", 1, "x"))
    assert seen == [f"OLD{i}" for i in reversed(range(6))]


async def test_reservations_filter_by_their_live_status(backend: Container) -> None:
    await setup(backend)
    short = await backend.bus.handle(
        Reserve((LineRequest("A", 1, "x"),), ttl_seconds=30, reference="cart-1"), ADMIN
    )
    clock(backend).advance(1)
    long = await backend.bus.handle(
        Reserve((LineRequest("A", 1, "y"), LineRequest("B", 1)), ttl_seconds=600), ADMIN
    )
    clock(backend).advance(1)
    placed = await backend.bus.handle(Reserve((LineRequest("B", 2),), reference="cart-1"), ADMIN)
    await backend.bus.handle(PlaceOrder("O1", "f", reservation_id=placed.id), ADMIN)
    clock(backend).advance(60)  # `short` is overdue; the expiry worker has not run

    async def ids(only: ReservationFilter) -> list[str]:
        found = await backend.reads.reservations(backend.clock.now(), only, None, 10)
        return [r.id for r in found]

    assert await ids(ReservationFilter()) == [placed.id, long.id, short.id]
    assert await ids(ReservationFilter(status=ReservationStatus.ACTIVE)) == [long.id]
    assert await ids(ReservationFilter(status=ReservationStatus.EXPIRED)) == [short.id]
    assert await ids(ReservationFilter(status=ReservationStatus.COMMITTED)) == [placed.id]
    assert await ids(ReservationFilter(status=ReservationStatus.RELEASED)) == []
    assert await ids(ReservationFilter(sku="B")) == [placed.id, long.id]
    assert await ids(ReservationFilter(location="x")) == [short.id]
    assert await ids(ReservationFilter(reference="cart-1")) == [placed.id, short.id]
    assert await ids(ReservationFilter(reference="cart-1", sku="A")) == [short.id]
    found = await backend.reads.reservations(backend.clock.now(), ReservationFilter(), None, 10)
    assert found[1] == await backend.reads.reservation(long.id)


async def test_transfers_filter_by_status_places_and_sku(backend: Container) -> None:
    await setup(backend)
    await seed(backend.bus, locations={"z": 3})
    one = await backend.bus.handle(CreateTransfer("x", "y", (SkuQuantity("A", 2),)), ADMIN)
    clock(backend).advance(1)
    two = await backend.bus.handle(
        CreateTransfer("y", "z", (SkuQuantity("B", 1), SkuQuantity("A", 1))), ADMIN
    )
    await backend.bus.handle(ReceiveTransfer(one.id), ADMIN)

    async def ids(only: TransferFilter) -> list[str]:
        return [t.id for t in await backend.reads.transfers(only, None, 10)]

    assert await ids(TransferFilter()) == [two.id, one.id]
    assert await ids(TransferFilter(status=TransferStatus.RECEIVED)) == [one.id]
    assert await ids(TransferFilter(status=TransferStatus.IN_TRANSIT)) == [two.id]
    assert await ids(TransferFilter(source="y")) == [two.id]
    assert await ids(TransferFilter(destination="y")) == [one.id]
    assert await ids(TransferFilter(sku="A")) == [two.id, one.id]
    assert await ids(TransferFilter(sku="B", source="x")) == []
    [listed] = await backend.reads.transfers(TransferFilter(sku="B"), None, 10)
    assert listed == await backend.reads.transfer(two.id)
    assert [x.sku for x in listed.lines] == ["A", "B"]


async def test_sales_filter_by_location_and_sku_and_page_by_receipt(
    backend: Container,
) -> None:
    await setup(backend)
    for location, receipt, sku in [("x", "R1", "A"), ("y", "R1", "B"), ("y", "R2", "A")]:
        await backend.bus.handle(
            RecordSale(location, receipt, (SkuQuantity(sku, 1),), receipt), ADMIN
        )

    async def keys(only: SaleFilter) -> list[tuple[str, str]]:
        return [(s.location, s.external_id) for s in await backend.reads.sales(only, None, 10)]

    # One instant: newest first means by (location, receipt) descending.
    assert await keys(SaleFilter()) == [("y", "R2"), ("y", "R1"), ("x", "R1")]
    assert await keys(SaleFilter(location="y")) == [("y", "R2"), ("y", "R1")]
    assert await keys(SaleFilter(sku="A")) == [("y", "R2"), ("x", "R1")]
    assert await keys(SaleFilter(sku="A", location="x")) == [("x", "R1")]
    found = await walk(lambda after, n: backend.reads.sales(SaleFilter(), after, n), 1)
    assert [(s.location, s.external_id) for s in found] == await keys(SaleFilter())


async def test_returns_filter_by_order_and_location(backend: Container) -> None:
    await setup(backend)
    for order_id in ("O1", "O2"):
        await place(backend, order_id, LineRequest("A", 2, "x"), LineRequest("B", 1, "y"))
        await backend.bus.handle(ShipOrder(order_id, "x", (SkuQuantity("A", 2),)), ADMIN)
    await backend.bus.handle(ShipOrder("O2", "y", (SkuQuantity("B", 1),)), ADMIN)
    first = await backend.bus.handle(
        ReturnItems("O1", "x", "resellable", (SkuQuantity("A", 1),)), ADMIN
    )
    clock(backend).advance(1)
    second = await backend.bus.handle(
        ReturnItems("O2", "y", "damaged", (SkuQuantity("B", 1), SkuQuantity("A", 2))), ADMIN
    )

    async def ids(only: ReturnFilter) -> list[str]:
        return [r.id for r in await backend.reads.returns(only, None, 10)]

    assert await ids(ReturnFilter()) == [second.id, first.id]
    assert await ids(ReturnFilter(order_id="O1")) == [first.id]
    assert await ids(ReturnFilter(location="y")) == [second.id]
    assert await ids(ReturnFilter(order_id="O1", location="y")) == []
    [listed] = await backend.reads.returns(ReturnFilter(order_id="O2"), None, 10)
    assert [(x.sku, x.quantity) for x in listed.lines] == [("A", 2), ("B", 1)]
    assert listed.condition.value == "damaged"
