"""Placing an order from a hold: which held units may move, on the fake and
on PostgreSQL alike.

A unit whose location the caller named never moves; a unit stockd placed
moves only when the order names a strategy that finds a strictly better
placement among the locations it may use."""

from __future__ import annotations

from stockd.bootstrap import Container
from stockd.domain.adjustments import Change
from stockd.domain.catalog import Location, LocationType
from stockd.domain.commands import (
    Adjust,
    CreateLocation,
    LineRequest,
    PlaceOrder,
    Reserve,
    ShipTo,
    UpdateLocation,
)
from stockd.domain.geo import Point
from stockd.domain.quantities import LevelKey, State
from stockd.domain.reservations import HoldLine, Reservation
from stockd.service.handlers.orders import Placed
from stockd.service.messagebus import Idempotency
from stockd.service.ports import StoredResponse
from tests.support import ADMIN, seed


async def network(c: Container) -> None:
    """Warehouses x (priority 1) and y (2), a store `shop` (priority 0, does
    not ship); A: 5 at y and 3 at the shop, none at x yet."""
    await seed(c.bus, skus={"A": 0}, locations={"x": 1, "y": 2})
    shop = Location("shop", "Shop", LocationType.STORE, priority=0, ships=False, pickup=True)
    await c.bus.handle(CreateLocation(shop), ADMIN)
    await stock(c, ("y", 5), ("shop", 3))


async def stock(c: Container, *units: tuple[str, int]) -> None:
    changes = tuple(Change(LevelKey("A", loc), State.ON_HAND, "r", delta=q) for loc, q in units)
    await c.bus.handle(Adjust(changes), ADMIN)


async def hold(c: Container, *lines: LineRequest) -> Reservation:
    held: Reservation = await c.bus.handle(Reserve(tuple(lines)), ADMIN)
    return held


async def place(c: Container, order_id: str, held: Reservation, strategy: str | None) -> Placed:
    ship_to = ShipTo(Point(52.5, 13.4)) if strategy else None
    cmd = PlaceOrder(order_id, order_id, reservation_id=held.id, strategy=strategy, ship_to=ship_to)
    placed: Placed = await c.bus.handle(cmd, ADMIN)
    return placed


def placement(placed: Placed) -> dict[str, int]:
    return {x.location: x.ordered for x in placed.order.lines}


async def clean(c: Container) -> None:
    assert (await c.reads.verify()).discrepancies == ()


async def test_units_the_caller_placed_never_move(backend: Container) -> None:
    await network(backend)
    held = await hold(backend, LineRequest("A", 2, "y"))
    await stock(backend, ("x", 5))
    placed = await place(backend, "O1", held, "priority")
    assert (placed.replanned, placement(placed)) == (False, {"y": 2})
    await clean(backend)


async def test_units_stockd_placed_move_only_when_the_order_names_a_strategy(
    backend: Container,
) -> None:
    await network(backend)
    first = await hold(backend, LineRequest("A", 2))
    second = await hold(backend, LineRequest("A", 2))
    assert [x.location for x in (*first.lines, *second.lines)] == ["y", "y"]
    await stock(backend, ("x", 5))
    placed = await place(backend, "O1", first, None)
    assert (placed.replanned, placement(placed)) == (False, {"y": 2})
    placed = await place(backend, "O2", second, "priority")
    assert (placed.replanned, placement(placed)) == (True, {"x": 2})
    await clean(backend)


async def test_of_one_level_only_the_units_stockd_placed_move(backend: Container) -> None:
    await network(backend)
    held = await hold(backend, LineRequest("A", 1, "y"), LineRequest("A", 2))
    stored = await backend.reads.reservation(held.id)
    assert stored is not None
    assert stored.lines == held.lines == (HoldLine("A", "y", 3, named=1),)
    await stock(backend, ("x", 5))
    placed = await place(backend, "O1", held, "priority")
    assert (placed.replanned, placement(placed)) == (True, {"x": 2, "y": 1})
    await clean(backend)


async def test_a_hold_at_a_store_the_strategy_cannot_ship_from_is_placed_where_it_is(
    backend: Container,
) -> None:
    await network(backend)
    await stock(backend, ("shop", 5))
    held = await hold(backend, LineRequest("A", 1, "shop"), LineRequest("A", 1))
    for strategy in ("priority", "nearest", "fewest_shipments", "lowest_cost", "most_stock"):
        again = await hold(backend, LineRequest("A", 1, "shop"))
        placed = await place(backend, f"S-{strategy}", again, strategy)
        assert (placed.replanned, placement(placed)) == (False, {"shop": 1})
    await stock(backend, ("x", 5))
    placed = await place(backend, "O1", held, "priority")
    assert (placed.replanned, placement(placed)) == (True, {"shop": 1, "x": 1})
    await clean(backend)


async def test_a_hold_at_a_location_that_stopped_shipping_stays_there(backend: Container) -> None:
    await network(backend)
    held = await hold(backend, LineRequest("A", 2))
    assert [x.location for x in held.lines] == ["y"]
    await stock(backend, ("x", 5))
    await backend.bus.handle(UpdateLocation("y", {"active": False}), ADMIN)
    placed = await place(backend, "O1", held, "priority")
    assert (placed.replanned, placement(placed)) == (False, {"y": 2})
    await clean(backend)


async def test_a_hold_remembers_its_named_units_on_the_locked_path_too(
    backend: Container,
) -> None:
    await network(backend)
    cmd = Reserve((LineRequest("A", 1, "y"), LineRequest("A", 1)))

    def render(r: Reservation) -> StoredResponse:
        return StoredResponse(201, r.id.encode())

    reply = await backend.bus.handle_idempotent(cmd, ADMIN, Idempotency("t", "k", "f"), render)
    stored = await backend.reads.reservation(reply.response.body.decode())
    assert stored is not None
    assert stored.lines == (HoldLine("A", "y", 2, named=1),)
    pickup = await backend.bus.handle(
        Reserve((LineRequest("A", 2),), pickup_location="shop"), ADMIN
    )
    stored = await backend.reads.reservation(pickup.id)
    assert stored is not None
    assert stored.lines == (HoldLine("A", "shop", 2, named=2),)
