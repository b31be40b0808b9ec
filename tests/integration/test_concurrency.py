"""Invariants under real contention: many clients, one PostgreSQL, one barrier."""

from __future__ import annotations

import asyncio
import random

import asyncpg

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.adjustments import Change
from stockd.domain.commands import Adjust, CommitReservation, LineRequest, PlaceOrder, Reserve
from stockd.domain.events import Movement
from stockd.domain.quantities import LevelKey, State
from stockd.domain.reservations import Reservation
from stockd.entrypoints.workers.loops import expire_once
from stockd.service.handlers.orders import Placed
from stockd.service.messagebus import Idempotency
from stockd.service.ports import StoredResponse
from tests.support import ADMIN, race, seed


async def deadlocks(raw: asyncpg.Connection) -> int:
    count: int = await raw.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    return count


async def test_last_10_units_go_to_exactly_10_of_50_buyers(db: Container) -> None:
    await seed(db.bus, skus={"HOT": 0}, locations={"x": 1}, stock={("HOT", "x"): 10})

    async def buy(i: int) -> Reservation:
        r: Reservation = await db.bus.handle(Reserve((LineRequest("HOT", 1),)), ADMIN)
        return r

    results = await race(50, buy)
    won = [r for r in results if isinstance(r, Reservation)]
    lost = [r for r in results if not isinstance(r, Reservation)]
    assert len(won) == 10
    assert all(isinstance(e, errors.InsufficientStock) for e in lost)
    [level] = await db.reads.levels(db.clock.now(), sku="HOT", location="x", after=None, limit=1)
    assert (level.available, level.quantities.reserved) == (0, 10)
    assert (await db.reads.verify()).clean


async def test_carts_in_opposite_orders_never_deadlock_and_stay_all_or_nothing(
    db: Container, raw: asyncpg.Connection
) -> None:
    skus = {"A": 0, "B": 0, "C": 0}
    stock = {(s, loc): 30 for s in skus for loc in ("x", "y")}
    await seed(db.bus, skus=skus, locations={"x": 1, "y": 2}, stock=stock)
    before = await deadlocks(raw)
    rng = random.Random(7)
    carts = []
    for i in range(60):
        order = ["A", "B", "C"] if i % 2 else ["C", "B", "A"]
        carts.append(
            tuple(
                LineRequest(sku, rng.randint(1, 3), rng.choice(["x", "y", None])) for sku in order
            )
        )

    async def buy(i: int) -> Reservation:
        r: Reservation = await db.bus.handle(Reserve(carts[i]), ADMIN)
        return r

    results = await race(len(carts), buy)
    assert not [r for r in results if isinstance(r, errors.Busy)]
    assert all(isinstance(r, Reservation | errors.InsufficientStock) for r in results)
    assert await deadlocks(raw) == before

    held: dict[str, int] = dict.fromkeys(skus, 0)
    for cart, result in zip(carts, results, strict=True):
        if isinstance(result, Reservation):
            assert {line.sku for line in result.lines} == {x.sku for x in cart}
            for line in result.lines:
                held[line.sku] += line.quantity
            assert sum(x.quantity for x in result.lines) == sum(x.quantity for x in cart)
    levels = await db.reads.levels(db.clock.now(), sku=None, location=None, after=None, limit=100)
    for sku in skus:
        mine = [lvl for lvl in levels if lvl.key.sku == sku]
        assert sum(lvl.quantities.reserved for lvl in mine) == held[sku]
        assert all(lvl.available >= 0 for lvl in mine)
    assert (await db.reads.verify()).clean


async def test_concurrent_counts_with_the_same_expected_value_have_one_winner(
    db: Container,
) -> None:
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})

    async def count(i: int) -> object:
        change = Change(LevelKey("A", "x"), State.ON_HAND, f"count {i}", set_to=100 + i, expected=5)
        return await db.bus.handle(Adjust((change,)), ADMIN)

    results = await race(20, count)
    losers = [r for r in results if isinstance(r, errors.BulkRejected)]
    assert len(losers) == 19
    assert all(r.items[0].code == "version_conflict" for r in losers)
    assert (await db.reads.verify()).clean


async def test_commit_racing_expiry_at_the_deadline_has_exactly_one_outcome(
    db: Container,
) -> None:
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 100})
    holds: list[Reservation] = [
        await db.bus.handle(Reserve((LineRequest("A", 1),), ttl_seconds=10), ADMIN)
        for _ in range(20)
    ]
    db.clock.advance(10)  # type: ignore[attr-defined]

    async def work(i: int) -> object:
        if i == 0:
            return await expire_once(db)
        return await db.bus.handle(CommitReservation(holds[i - 1].id, f"O{i}"), ADMIN)

    results = await race(21, work)
    assert all(isinstance(r, int | Reservation | errors.ReservationNotActive) for r in results), (
        results
    )
    [level] = await db.reads.levels(db.clock.now(), sku="A", location="x", after=None, limit=1)
    assert level.quantities.reserved == 0
    assert level.quantities.committed == 0  # every hold was past its deadline
    assert (await db.reads.verify()).clean


async def test_the_same_idempotency_key_sent_concurrently_reserves_once(db: Container) -> None:
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 100})
    idem = Idempotency(scope="k", key="cart-42", fingerprint="f")

    def render(r: Reservation) -> StoredResponse:
        return StoredResponse(201, r.id.encode())

    async def send(i: int) -> object:
        return await db.bus.handle_idempotent(Reserve((LineRequest("A", 3),)), ADMIN, idem, render)

    replies = await race(10, send)
    bodies = {r.response.body for r in replies}  # type: ignore[union-attr]
    assert len(bodies) == 1
    assert sum(not r.replayed for r in replies) == 1  # type: ignore[union-attr]
    [level] = await db.reads.levels(db.clock.now(), sku="A", location="x", after=None, limit=1)
    assert level.quantities.reserved == 3


async def test_a_reader_paging_the_ledger_during_writes_sees_every_event_once(
    db: Container,
) -> None:
    skus = {f"S{i}": 0 for i in range(5)}
    await seed(db.bus, skus=skus, locations={"x": 1})
    writers_done = asyncio.Event()

    async def write(i: int) -> None:
        for n in range(20):
            change = Change(LevelKey(f"S{(i + n) % 5}", "x"), State.ON_HAND, "w", delta=1)
            await db.bus.handle(Adjust((change,)), ADMIN)

    seen: list[int] = []

    async def reader() -> None:
        after = 0
        while True:
            finished = writers_done.is_set()
            page = await db.reads.events(after, 7)
            seen.extend(r.seq for r in page)
            if page:
                after = page[-1].seq
            elif finished:
                return
            await asyncio.sleep(0)

    paging = asyncio.create_task(reader())
    await asyncio.gather(*(write(i) for i in range(10)))
    writers_done.set()
    await paging
    records = await db.reads.events(0, 1000)
    # Every event seen once, in seq order (numbers may skip where a
    # transaction failed after numbering its events, so they are not counted).
    assert seen == [r.seq for r in records]
    movements = [r.event for r in records if isinstance(r.event, Movement)]
    assert len(movements) == 10 * 20
    for sku in skus:
        afters = [m.after.on_hand for m in movements if m.key.sku == sku]
        assert afters == sorted(afters)


async def test_orders_racing_across_locations_never_oversell_any_of_them(
    db: Container, raw: asyncpg.Connection
) -> None:
    stock = {("A", "x"): 7, ("A", "y"): 5, ("A", "z"): 3, ("B", "y"): 6, ("B", "z"): 6}
    await seed(db.bus, skus={"A": 0, "B": 0}, locations={"x": 1, "y": 2, "z": 3}, stock=stock)
    before = await deadlocks(raw)
    rng = random.Random(11)
    orders = []
    for i in range(40):
        lines = [LineRequest("A", rng.randint(1, 4))]
        if i % 3:
            lines.append(LineRequest("B", rng.randint(1, 3), rng.choice([None, "y", "z"])))
        strategy = rng.choice(["priority", "most_stock", "fewest_shipments"])
        orders.append(
            PlaceOrder(
                f"O{i}", "f", lines=tuple(lines[::-1] if i % 2 else lines), strategy=strategy
            )
        )

    async def place(i: int) -> object:
        return await db.bus.handle(orders[i], ADMIN)

    results = await race(len(orders), place)
    assert all(isinstance(r, Placed | errors.InsufficientStock) for r in results), results
    assert await deadlocks(raw) == before
    committed: dict[tuple[str, str], int] = {}
    for r in results:
        if isinstance(r, Placed):
            for line in r.order.lines:
                key = (line.sku, line.location)
                committed[key] = committed.get(key, 0) + line.committed
    levels = await db.reads.levels(db.clock.now(), sku=None, location=None, after=None, limit=100)
    for lvl in levels:
        assert lvl.available >= 0
        assert lvl.quantities.committed == committed.get((lvl.key.sku, lvl.key.location), 0)
        assert lvl.quantities.committed <= stock[(lvl.key.sku, lvl.key.location)]
    assert sum(isinstance(r, Placed) for r in results) > 0
    assert (await db.reads.verify()).clean
