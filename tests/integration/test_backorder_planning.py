"""Strategies place backorders where inbound can cover them: a backorder
level may go below zero only as far as its open inbound not yet promised,
so a line without a location is placed at a site with inbound rather than
refused at the preferred site without any. On the fake and PostgreSQL,
raced for real on PostgreSQL."""

from __future__ import annotations

import pytest

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.allocation import OrderLine
from stockd.domain.commands import LineRequest, PlaceOrder, Reserve
from stockd.domain.promises import Holder, HolderKind
from stockd.domain.quantities import LevelKey
from stockd.domain.reservations import Reservation
from stockd.service.handlers.orders import Placed
from stockd.service.planning import Placement
from stockd.service.quotes import quote
from tests.support import ADMIN, race, seed


async def setup(c: Container, inbound_at_far: int = 5) -> None:
    """Lamp L (backorder up to 100): one unit at `near` (preferred, no
    inbound) and one at `far` (with `inbound_at_far` units on order)."""
    await seed(
        c.bus,
        skus={"L": 0},
        backorder={"L": 100},
        locations={"near": 1, "far": 10},
        stock={("L", "near"): 1, ("L", "far"): 1},
        inbound={("L", "far"): inbound_at_far} if inbound_at_far else None,
    )


async def order(c: Container, order_id: str, units: int) -> Placed:
    placed: Placed = await c.bus.handle(
        PlaceOrder(order_id, order_id, lines=(LineRequest("L", units),), strategy="priority"),
        ADMIN,
    )
    return placed


async def hold(c: Container, units: int) -> Reservation:
    r: Reservation = await c.bus.handle(
        Reserve((LineRequest("L", units),), strategy="priority"), ADMIN
    )
    return r


async def available(c: Container) -> dict[str, int]:
    found = await c.reads.levels_of(c.clock.now(), ["L"])
    return {x.key.location: x.quantities.available for x in found}


async def test_an_order_goes_where_inbound_covers_its_backorder(backend: Container) -> None:
    await setup(backend)
    placed = await order(backend, "O1", 4)
    units = {x.location: x.ordered for x in placed.order.lines}
    assert units == {"near": 1, "far": 3}
    assert await available(backend) == {"near": 0, "far": -2}
    promises = await backend.reads.promises(Holder(HolderKind.ORDER, "O1"))
    assert [(t.key, t.supply_id, t.quantity) for t in promises.ties] == [
        (LevelKey("L", "far"), "PO-L-far", 2)
    ]
    assert (await backend.reads.verify()).discrepancies == ()


async def test_a_hold_goes_where_inbound_covers_its_backorder(backend: Container) -> None:
    await setup(backend)
    held = await hold(backend, 7)  # 1 + 1 on hand, 5 inbound at far
    assert {x.location: x.quantity for x in held.lines} == {"near": 1, "far": 6}
    with pytest.raises(errors.InsufficientStock):
        await hold(backend, 1)
    assert await available(backend) == {"near": 0, "far": -5}


async def test_a_quote_places_the_backorder_as_the_order_would(backend: Container) -> None:
    await setup(backend)
    now = backend.clock.now()
    planned = await quote(
        backend.reads, now, [OrderLine("L", 4)], Placement(None, "priority"), "priority"
    )
    [line] = planned.plan.lines
    assert {a.location: a.quantity for a in line.allocations} == {"near": 1, "far": 3}
    assert not line.shortfall
    planned = await quote(
        backend.reads, now, [OrderLine("L", 8)], Placement(None, "priority"), "priority"
    )
    assert not planned.plan.feasible  # 2 on hand and 5 inbound


async def test_without_inbound_anywhere_a_backorder_is_refused_not_placed(
    backend: Container,
) -> None:
    await setup(backend, inbound_at_far=0)
    with pytest.raises(errors.InsufficientStock):
        await order(backend, "O1", 3)
    assert await available(backend) == {"near": 1, "far": 1}
    await order(backend, "O2", 2)  # what is on hand still sells
    assert await available(backend) == {"near": 0, "far": 0}


async def test_strategy_placed_backorders_racing_never_over_promise(db: Container) -> None:
    """20 buyers of one unit each, placed by the strategy, for 2 on hand and
    5 inbound at the site it does not prefer: exactly 7 win."""
    await setup(db)

    async def buy(i: int) -> object:
        if i % 2:
            return await hold(db, 1)
        return await order(db, f"O{i}", 1)

    results = await race(20, buy)
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 7, lost
    assert all(isinstance(e, errors.InsufficientStock) for e in lost), lost
    assert await available(db) == {"near": 0, "far": -5}
    assert (await db.reads.verify()).discrepancies == ()
