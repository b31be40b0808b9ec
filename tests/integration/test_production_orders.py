"""Made-to-order lines made: the workshop reports units, they become the
order's committed stock at the workshop and ship like any other line. Each
contract test runs on the fake and on PostgreSQL; the race on PostgreSQL.

T0 (the test clock) is Thursday 1 January 2026, 12:00 UTC: 2026-W01, which
ends (its units are ready) on Monday 5 January 00:00 at the UTC workshop."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.capacity import CapacityPool
from stockd.domain.catalog import InventoryType, Location, Sku
from stockd.domain.channels import Channel
from stockd.domain.commands import (
    BookSlots,
    CancelOrder,
    CommitSlot,
    CreateCapacityPool,
    CreateChannel,
    CreateLocation,
    CreateSku,
    LineRequest,
    PlaceOrder,
    ProduceOrder,
    SetCapacity,
    ShipOrder,
    SkuQuantity,
    WeekUnits,
)
from stockd.domain.events import OrderProduced, ProductionCancelled
from stockd.domain.orders import Order, OrderStatus
from stockd.domain.quantities import LevelKey
from stockd.domain.weeks import IsoWeek
from stockd.service.listing import OrderFilter
from tests.support import ADMIN, race

THIS_WEEK = IsoWeek(2026, 1)
WORKS = LevelKey("SOFA", "works")
W01_READY = datetime(2026, 1, 5, tzinfo=UTC)


async def workshop(c: Container, weeks: dict[int, int]) -> None:
    """Workshop `works` (UTC), pool P with `weeks` (offset → units), SOFA made
    to order in P, and a physical SKU LAMP."""
    await c.bus.handle(CreateLocation(Location("works", "Works")), ADMIN)
    await c.bus.handle(CreateCapacityPool(CapacityPool("P", "works", "Pool P")), ADMIN)
    made = Sku("SOFA", "P", "Sofa", inventory_type=InventoryType.MADE_TO_ORDER, capacity_pool="P")
    await c.bus.handle(CreateSku(made), ADMIN)
    await c.bus.handle(CreateSku(Sku("LAMP", "L", "Lamp")), ADMIN)
    units = tuple(WeekUnits(str(THIS_WEEK + i), n) for i, n in weeks.items())
    await c.bus.handle(SetCapacity("P", units), ADMIN)


async def place(c: Container, order_id: str, quantity: int, **extra: Any) -> Order:
    cmd = PlaceOrder(order_id, order_id, lines=(LineRequest("SOFA", quantity),), **extra)
    placed = await c.bus.handle(cmd, ADMIN)
    return placed.order  # type: ignore[no-any-return]


async def produce(c: Container, order_id: str, quantity: int, sku: str = "SOFA") -> Order:
    order: Order = await c.bus.handle(
        ProduceOrder(order_id, (LineRequest(sku, quantity),), "batch-1"), ADMIN
    )
    return order


async def ship(c: Container, order_id: str, quantity: int) -> Order:
    cmd = ShipOrder(order_id, "works", (SkuQuantity("SOFA", quantity),))
    order: Order = await c.bus.handle(cmd, ADMIN)
    return order


async def level(c: Container, key: LevelKey = WORKS) -> tuple[int, int]:
    found = await c.reads.levels(
        c.clock.now(), sku=key.sku, location=key.location, after=None, limit=1
    )
    return (found[0].quantities.on_hand, found[0].quantities.committed) if found else (0, 0)


async def week(c: Container, offset: int = 0) -> tuple[int, int]:
    found = await c.reads.capacity_weeks("P", THIS_WEEK + offset, THIS_WEEK + offset)
    return (found[0].held, found[0].committed)


async def test_units_made_ship_from_the_workshop_and_the_order_is_shipped_once_all_are(
    backend: Container,
) -> None:
    await workshop(backend, {0: 10})
    await place(backend, "O1", 3)
    made = await produce(backend, "O1", 2)
    assert made.status is OrderStatus.OPEN
    assert [(x.produced, x.unproduced) for x in made.production] == [(2, 1)]
    [line] = made.lines
    assert (line.sku, line.location, line.ordered, line.committed) == ("SOFA", "works", 2, 2)
    assert await level(backend) == (2, 2)
    assert await week(backend) == (0, 3)  # the week keeps its capacity used

    shipped = await ship(backend, "O1", 2)
    assert shipped.status is OrderStatus.PARTIALLY_SHIPPED  # one still to make
    await produce(backend, "O1", 1)
    done = await ship(backend, "O1", 1)
    assert done.status is OrderStatus.SHIPPED
    assert await level(backend) == (0, 0)
    assert await week(backend) == (0, 3)
    with pytest.raises(errors.OrderClosed):
        await backend.bus.handle(CancelOrder("O1"), ADMIN)
    events = await backend.reads.events(0, 1000)
    produced = [r.event for r in events if isinstance(r.event, OrderProduced)]
    assert [(e.delta.on_hand, e.delta.committed, e.pool, e.week) for e in produced] == [
        (2, 2, "P", "2026-W01"),
        (1, 1, "P", "2026-W01"),
    ]
    assert all(e.reference == "batch-1" and e.order_id == "O1" for e in produced)
    assert (await backend.reads.verify()).clean


async def test_making_more_than_is_left_to_make_is_refused_and_writes_nothing(
    backend: Container,
) -> None:
    await workshop(backend, {0: 10})
    await place(backend, "O1", 3)
    await produce(backend, "O1", 2)
    head = await backend.reads.ledger_head()
    with pytest.raises(errors.BeyondRecorded) as refused:
        await produce(backend, "O1", 2)
    assert [(x.index, x.code) for x in refused.value.items] == [(0, "exceeds_unproduced")]
    with pytest.raises(errors.InvalidRequest) as not_made:
        await produce(backend, "O1", 1, sku="LAMP")
    assert [x["field"] for x in not_made.value.extra["errors"]] == ["lines[0].sku"]
    with pytest.raises(errors.NotFound):
        await produce(backend, "nope", 1)
    assert await backend.reads.ledger_head() == head
    await place(backend, "O2", 1)
    await backend.bus.handle(CancelOrder("O2"), ADMIN)
    with pytest.raises(errors.OrderClosed):
        await produce(backend, "O2", 1)
    order = await backend.reads.order("O1")
    assert order is not None
    assert [x.produced for x in order.production] == [2]
    assert await level(backend) == (2, 2)
    assert (await backend.reads.verify()).clean


async def test_a_sku_the_order_did_not_book_is_not_in_order(backend: Container) -> None:
    await workshop(backend, {0: 10})
    await backend.bus.handle(
        PlaceOrder("O1", "f", lines=(LineRequest("SOFA", 1, options=(("fabric", "red"),)),)),
        ADMIN,
    )
    with pytest.raises(errors.BeyondRecorded) as refused:
        await produce(backend, "O1", 1)  # booked with options: these are other sofas
    assert [x.code for x in refused.value.items] == ["not_in_order"]
    made = await backend.bus.handle(
        ProduceOrder("O1", (LineRequest("SOFA", 1, options=(("fabric", "red"),)),)), ADMIN
    )
    assert [x.produced for x in made.production] == [1]


async def test_cancelling_after_some_were_made_gives_back_only_the_rest(
    backend: Container,
) -> None:
    await workshop(backend, {0: 10})
    await place(backend, "O1", 5)
    await produce(backend, "O1", 2)
    cancelled: Order = await backend.bus.handle(CancelOrder("O1", "changed mind"), ADMIN)
    assert cancelled.status is OrderStatus.CANCELLED
    [line] = cancelled.lines
    assert (line.ordered, line.committed, line.cancelled) == (2, 0, 2)
    [made] = cancelled.production
    assert (made.cancelled, made.produced, made.unproduced) == (True, 2, 0)
    assert await week(backend) == (0, 2)  # 3 back; the 2 made used theirs
    assert await level(backend) == (2, 0)  # made: stock at the workshop now
    events = await backend.reads.events(0, 1000)
    given = [r.event for r in events if isinstance(r.event, ProductionCancelled)]
    assert [e.quantity for e in given] == [3]
    assert (await backend.reads.verify()).clean


async def test_units_on_hand_of_a_made_to_order_sku_sell_to_a_line_naming_their_location(
    backend: Container,
) -> None:
    """Two sofas made for an order that was then cancelled stand at the
    workshop: a line naming the workshop sells them from stock, books no
    production; a line naming no location is made; options on a stock line
    are a 422 and nothing is written."""
    await workshop(backend, {0: 10})
    await place(backend, "O1", 2)
    await produce(backend, "O1", 2)
    await backend.bus.handle(CancelOrder("O1"), ADMIN)
    assert await level(backend) == (2, 0)
    with pytest.raises(errors.InvalidRequest) as caught:
        await backend.bus.handle(
            PlaceOrder("O2", "O2", lines=(LineRequest("SOFA", 1, "works", (("cover", "red"),)),)),
            ADMIN,
        )
    assert caught.value.issues[0].field == "lines[0].options"
    placed = await backend.bus.handle(
        PlaceOrder("O2", "O2", lines=(LineRequest("SOFA", 2, "works"),)), ADMIN
    )
    order: Order = placed.order
    assert order.production == ()
    assert [(x.location, x.committed) for x in order.lines] == [("works", 2)]
    assert await level(backend) == (2, 2)
    assert await week(backend) == (0, 2)  # no more capacity used
    shipped = await ship(backend, "O2", 2)
    assert shipped.status is OrderStatus.SHIPPED
    with pytest.raises(errors.InsufficientStock):
        await backend.bus.handle(
            PlaceOrder("O3", "O3", lines=(LineRequest("SOFA", 1, "works"),)), ADMIN
        )
    assert (await backend.reads.verify()).clean


async def test_units_made_for_a_channel_order_count_as_the_channels_until_shipped(
    backend: Container,
) -> None:
    await workshop(backend, {0: 10})
    await backend.bus.handle(CreateChannel(Channel("web", "Web")), ADMIN)
    await place(backend, "O1", 3, channel="web")
    await produce(backend, "O1", 3)
    stock = await backend.reads.channel_stock(["SOFA"])
    assert stock["SOFA"].outstanding == {"web": 3}
    await ship(backend, "O1", 3)
    assert (await backend.reads.verify()).clean


async def test_units_made_count_against_the_earliest_week_first(backend: Container) -> None:
    await workshop(backend, {0: 3, 1: 10})
    await place(backend, "O1", 3)  # W01
    slot = await backend.bus.handle(BookSlots((LineRequest("SOFA", 2),)), ADMIN)  # W02
    await backend.bus.handle(CommitSlot(slot.id, "O1"), ADMIN)
    made = await produce(backend, "O1", 4)
    assert [(str(x.week), x.produced) for x in made.production] == [
        ("2026-W01", 3),
        ("2026-W02", 1),
    ]
    assert [(x.location, x.committed) for x in made.lines] == [("works", 4)]
    assert await level(backend) == (4, 4)
    assert (await backend.reads.verify()).clean


async def test_the_orders_list_shows_made_to_order_lines_as_the_order_does(
    backend: Container,
) -> None:
    await workshop(backend, {0: 10})
    await place(backend, "O1", 3, deliver_by=date(2026, 1, 20))
    await produce(backend, "O1", 1)
    [listed] = await backend.reads.orders(OrderFilter(), None, 10)
    one = await backend.reads.order("O1")
    assert listed == one
    assert listed.deliver_by == date(2026, 1, 20)
    assert [(x.sku, x.quantity, x.produced) for x in listed.production] == [("SOFA", 3, 1)]
    assert [x.promised for x in listed.production] == [W01_READY]


async def test_made_to_order_lines_are_at_risk_once_their_week_ends_with_units_to_make(
    backend: Container,
) -> None:
    await workshop(backend, {0: 10})
    await place(backend, "O1", 2, deliver_by=date(2026, 1, 12))
    assert await backend.reads.at_risk(backend.clock.now(), None, 10) == []
    backend.clock.set(W01_READY)  # type: ignore[attr-defined]
    [late] = await backend.reads.at_risk(backend.clock.now(), None, 10)
    assert (late.id, late.deliver_by) == ("O1", date(2026, 1, 12))
    [line] = late.lines
    assert (line.sku, line.location, line.supply, line.week) == (
        "SOFA",
        "works",
        "production",
        "2026-W01",
    )
    assert (line.promised_ready_at, line.ready_at) == (W01_READY, None)
    await produce(backend, "O1", 1)
    assert len(await backend.reads.at_risk(backend.clock.now(), None, 10)) == 1
    await produce(backend, "O1", 1)
    assert await backend.reads.at_risk(backend.clock.now(), None, 10) == []


async def test_12_workshop_reports_racing_for_5_units_make_exactly_5(
    db: Container, raw: asyncpg.Connection
) -> None:
    await workshop(db, {0: 10})
    await place(db, "O1", 5)

    async def report(i: int) -> Order:
        return await produce(db, "O1", 1)

    results = await race(12, report)
    won = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if not isinstance(r, Order)]
    assert len(won) == 5
    assert all(isinstance(r, errors.BeyondRecorded) for r in refused), refused
    row = await raw.fetchrow("SELECT quantity, produced FROM production_lines")
    assert (row["quantity"], row["produced"]) == (5, 5)
    assert await level(db) == (5, 5)
    assert (await db.reads.verify()).clean


async def test_verify_finds_units_made_behind_the_ledgers_back(
    db: Container, raw: asyncpg.Connection
) -> None:
    await workshop(db, {0: 10})
    await place(db, "O1", 3)
    await produce(db, "O1", 2)
    assert (await db.reads.verify()).clean
    await raw.execute("UPDATE production_lines SET produced = 3")
    report = await db.reads.verify()
    assert [(d.check, d.subject) for d in report.discrepancies] == [
        ("produced", "order O1: SOFA in pool P 2026-W01")
    ]
