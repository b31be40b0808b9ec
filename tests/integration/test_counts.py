"""Physical counts: on_hand becomes the counted figure as of `counted_at`,
with every movement after it kept on top; on the fake and on PostgreSQL,
and under real contention."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from stockd import errors
from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from stockd.domain.commands import (
    CountedLine,
    LineRequest,
    PlaceOrder,
    RecordCount,
    RecordSale,
    Reserve,
    ShipOrder,
    SkuQuantity,
)
from stockd.domain.events import StockCounted
from stockd.domain.quantities import Level, LevelKey, Quantities
from stockd.domain.reservations import Reservation
from stockd.service.handlers.counts import CountResult
from stockd.service.queries import EventFilter
from tests.support import ADMIN, T0, race, seed

AX = LevelKey("A", "x")
WINDOW = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)


def count(at_seconds: float, *lines: tuple[str, int], location: str = "x") -> RecordCount:
    return RecordCount(
        location=location,
        counted_at=T0 + timedelta(seconds=at_seconds),
        lines=tuple(CountedLine(sku, q) for sku, q in lines),
        window=WINDOW,
        max_age=MAX_AGE,
    )


def tick(c: Container, seconds: float) -> None:
    assert isinstance(c.clock, ManualClock)
    c.clock.set(T0 + timedelta(seconds=seconds))


async def level(c: Container, key: LevelKey = AX) -> Level:
    [found] = await c.reads.levels(
        c.clock.now(), sku=key.sku, location=key.location, after=None, limit=1
    )
    return found


async def sell(c: Container, units: int, receipt: str) -> None:
    await c.bus.handle(RecordSale("x", receipt, (SkuQuantity("A", units),), "fp-" + receipt), ADMIN)


async def counted_events(c: Container) -> list[StockCounted]:
    found = await c.reads.events(0, 100, EventFilter(types=frozenset({"stock.counted"})))
    return [e.event for e in found if isinstance(e.event, StockCounted)]


async def test_sales_after_counted_at_stay_on_top_of_the_count(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 20})
    tick(backend, 100)
    await sell(backend, 3, "r1")  # after the count was taken, before it was submitted
    tick(backend, 200)
    result: CountResult = await backend.bus.handle(count(50, ("A", 15)), ADMIN)
    assert (await level(backend)).quantities.on_hand == 12  # 15 counted, 3 sold since
    [line] = result.lines
    assert (line.outcome, line.expected, line.adjustment) == ("applied", 20, -5)
    [event] = await counted_events(backend)
    assert (event.counted, event.expected, event.delta.on_hand) == (15, 20, -5)
    assert event.effective_at == T0 + timedelta(seconds=50)
    assert (await backend.reads.verify()).clean


async def test_counts_applied_out_of_order_do_not_double_count(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 20})
    tick(backend, 15)
    await sell(backend, 1, "r1")  # a sale at 15
    tick(backend, 20)
    await backend.bus.handle(count(10, ("A", 30)), ADMIN)  # X: 30 at 10, applied at 20
    assert (await level(backend)).quantities.on_hand == 29
    tick(backend, 30)
    result = await backend.bus.handle(count(12, ("A", 8)), ADMIN)  # Y: 8 at 12, at 30
    assert result.lines[0].outcome == "applied"
    assert (await level(backend)).quantities.on_hand == 7  # Y's figure minus the sale
    tick(backend, 40)
    late = await backend.bus.handle(count(11, ("A", 50)), ADMIN)  # older than Y: stands not
    assert late.lines[0].outcome == "superseded"
    assert "later" in late.lines[0].why
    assert (await level(backend)).quantities.on_hand == 7
    assert (await backend.reads.verify()).clean


async def test_a_count_creates_the_level_of_stock_nobody_recorded(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0, "B": 0}, locations={"x": 1})
    tick(backend, 10)
    await backend.bus.handle(count(5, ("B", 4)), ADMIN)
    assert (await level(backend, LevelKey("B", "x"))).quantities == Quantities(on_hand=4)


async def test_a_count_below_what_is_spoken_for_is_recorded_and_stops_there(
    backend: Container,
) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 10})
    await backend.bus.handle(Reserve((LineRequest("A", 6, "x"),), ttl_seconds=3600), ADMIN)
    tick(backend, 10)
    result = await backend.bus.handle(count(5, ("A", 2)), ADMIN)
    [line] = result.lines
    assert (line.counted, line.adjustment, line.short, line.on_hand) == (2, -4, 4, 6)
    assert "still held" in line.why
    [event] = await counted_events(backend)
    assert (event.counted, event.expected, event.delta.on_hand) == (2, 10, -4)
    assert (await backend.reads.verify()).clean


@pytest.mark.parametrize(
    ("seconds", "words"), [(60, "in the future"), (-8 * 86_400, "more than 168 hours ago")]
)
async def test_a_count_in_the_future_or_beyond_the_limit_is_refused(
    backend: Container, seconds: float, words: str
) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 10})
    with pytest.raises(errors.InvalidRequest, match=words):
        await backend.bus.handle(count(seconds, ("A", 1)), ADMIN)
    assert (await level(backend)).quantities.on_hand == 10


async def test_a_count_with_an_unknown_sku_changes_nothing(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 10})
    tick(backend, 10)
    with pytest.raises(errors.UnknownReference) as caught:
        await backend.bus.handle(count(5, ("A", 1), ("NOPE", 2)), ADMIN)
    assert [i.field for i in caught.value.issues] == ["lines[1].sku"]
    assert (await level(backend)).quantities.on_hand == 10
    assert await counted_events(backend) == []


async def test_a_count_taken_before_a_burst_and_submitted_during_it_loses_nothing(
    db: Container,
) -> None:
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 100})
    orders = 20
    for i in range(orders):
        await db.bus.handle(PlaceOrder(f"o{i}", f"fp{i}", (LineRequest("A", 2, "x"),)), ADMIN)
    tick(db, 10)  # the count is taken at 5 and finds 95; then the burst, from 10 on
    holds, counts = 20, 10  # the count is sent again and again, in the thick of it
    kinds = ["ship"] * orders + ["hold"] * holds + ["count"] * counts
    random.Random(3).shuffle(kinds)
    shipped = iter(range(orders))

    async def work(i: int) -> object:
        if kinds[i] == "ship":
            n = next(shipped)
            return await db.bus.handle(ShipOrder(f"o{n}", "x", (SkuQuantity("A", 2),)), ADMIN)
        if kinds[i] == "hold":
            return await db.bus.handle(
                Reserve((LineRequest("A", 1, "x"),), ttl_seconds=3600), ADMIN
            )
        return await db.bus.handle(count(5, ("A", 95)), ADMIN)

    results = await race(len(kinds), work)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(isinstance(r, Reservation) for r in results) == holds
    after = (await level(db)).quantities
    # counted 95, then 40 units shipped after counted_at; the holds only hold
    assert (after.on_hand, after.committed, after.reserved) == (95 - 2 * orders, 0, holds)
    [event] = await counted_events(db)  # one count moved on_hand; the others found it so
    assert (event.counted, event.expected, event.delta.on_hand) == (95, 100, -5)
    assert (await db.reads.verify()).clean

    tick(db, 20)  # the same count submitted again after the burst changes nothing
    again: CountResult = await db.bus.handle(count(5, ("A", 95)), ADMIN)
    assert again.lines[0].adjustment == 0
    assert (await level(db)).quantities.on_hand == 95 - 2 * orders
