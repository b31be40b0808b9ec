"""Production capacity under real contention: many bookings, one PostgreSQL,
one barrier. A week is never over-booked, and every loser is told where the
capacity went."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.capacity import CapacityPool, SlotBooking
from stockd.domain.catalog import InventoryType, Location, Sku
from stockd.domain.commands import (
    BookSlots,
    CommitSlot,
    CreateCapacityPool,
    CreateLocation,
    CreateSku,
    ExpireDueSlots,
    LineRequest,
    PlaceOrder,
    ReleaseSlot,
    SetCapacity,
    WeekUnits,
)
from stockd.domain.weeks import IsoWeek
from tests.support import ADMIN, race

THIS_WEEK = IsoWeek(2026, 1)  # T0 is Thursday 1 January 2026, UTC


async def workshop(
    c: Container, weeks: dict[int, int], *, skus: tuple[str, ...] = ("SOFA",)
) -> None:
    """Workshop `works` (UTC), pool P (no lead time) with `weeks` (offset from
    this week → units), made-to-order SKUs in P."""
    await c.bus.handle(CreateLocation(Location("works", "Works")), ADMIN)
    await c.bus.handle(CreateCapacityPool(CapacityPool("P", "works", "Pool P")), ADMIN)
    for sku in skus:
        made = Sku(sku, "P", sku, inventory_type=InventoryType.MADE_TO_ORDER, capacity_pool="P")
        await c.bus.handle(CreateSku(made), ADMIN)
    units = tuple(WeekUnits(str(THIS_WEEK + i), n) for i, n in weeks.items())
    await c.bus.handle(SetCapacity("P", units), ADMIN)


async def weeks_of(raw: asyncpg.Connection) -> dict[str, tuple[int, int, int]]:
    rows = await raw.fetch("SELECT week, units, held, committed FROM capacity_weeks ORDER BY week")
    return {r["week"]: (r["units"], r["held"], r["committed"]) for r in rows}


async def test_50_buyers_for_the_last_10_units_of_a_week(
    db: Container, raw: asyncpg.Connection
) -> None:
    """10 get the week, the next week with room takes 25, and the other 15
    hear that no week of the window has room, and which later week does."""
    await workshop(db, {0: 30, 1: 25, 10: 100})
    await db.bus.handle(BookSlots((LineRequest("SOFA", 20),)), ADMIN)  # 10 of W01 left

    async def book(i: int) -> SlotBooking:
        slot: SlotBooking = await db.bus.handle(BookSlots((LineRequest("SOFA", 1),)), ADMIN)
        return slot

    results = await race(50, book)
    weeks = [str(r.lines[0].week) for r in results if isinstance(r, SlotBooking)]
    refused = [r for r in results if not isinstance(r, SlotBooking)]
    assert weeks.count("2026-W01") == 10
    assert weeks.count("2026-W02") == 25
    assert len(refused) == 15
    for problem in refused:
        assert isinstance(problem, errors.InsufficientCapacity), problem
        [short] = problem.lines
        assert (short.first_week, short.earliest_week) == ("2026-W01", "2026-W11")
    assert await weeks_of(raw) == {
        "2026-W01": (30, 30, 0),
        "2026-W02": (25, 25, 0),
        "2026-W11": (100, 0, 0),
    }
    assert (await db.reads.verify()).clean


async def test_multi_line_bookings_racing_stay_all_or_nothing(
    db: Container, raw: asyncpg.Connection
) -> None:
    """Bookings of two SKUs of one pool, in both orders: each either gets
    every line or nothing, and no week holds more than its units."""
    await workshop(db, {0: 20, 1: 20}, skus=("SOFA", "CHAIR"))

    async def book(i: int) -> SlotBooking:
        lines = (LineRequest("SOFA", 3), LineRequest("CHAIR", 2))
        slot: SlotBooking = await db.bus.handle(BookSlots(lines if i % 2 else lines[::-1]), ADMIN)
        return slot

    results = await race(20, book)
    won = [r for r in results if isinstance(r, SlotBooking)]
    assert all(isinstance(r, SlotBooking | errors.InsufficientCapacity) for r in results), results
    assert all(len(slot.lines) == 2 for slot in won)
    booked = sum(line.quantity for slot in won for line in slot.lines)
    weeks = await weeks_of(raw)
    assert sum(held for _, held, _ in weeks.values()) == booked
    assert all(held + committed <= units for units, held, committed in weeks.values())
    assert booked >= 35  # 40 units, lines of 3 and 2: at most 5 can be stranded
    assert (await db.reads.verify()).clean


async def test_commit_and_release_racing_on_one_booking_have_one_winner(
    db: Container, raw: asyncpg.Connection
) -> None:
    await workshop(db, {0: 10})
    slot: SlotBooking = await db.bus.handle(BookSlots((LineRequest("SOFA", 4),)), ADMIN)

    async def work(i: int) -> Any:
        if i % 2:
            return await db.bus.handle(ReleaseSlot(slot.id), ADMIN)
        return await db.bus.handle(CommitSlot(slot.id, f"O{i}"), ADMIN)

    results = await race(10, work)
    won = [r for r in results if isinstance(r, SlotBooking)]
    assert len(won) == 1
    assert all(isinstance(r, errors.SlotNotActive) for r in results if r is not won[0])
    held, committed = (0, 4) if won[0].order_id else (0, 0)
    assert await weeks_of(raw) == {"2026-W01": (10, held, committed)}
    assert (await db.reads.verify()).clean


async def test_expiry_racing_a_commit_at_the_deadline_has_one_outcome(
    db: Container, raw: asyncpg.Connection
) -> None:
    await workshop(db, {0: 10})
    slot: SlotBooking = await db.bus.handle(
        BookSlots((LineRequest("SOFA", 4),), ttl_seconds=10), ADMIN
    )
    db.clock.advance(10)  # type: ignore[attr-defined]

    async def work(i: int) -> Any:
        if i % 2:
            return await db.bus.handle(ExpireDueSlots(), ADMIN)
        return await db.bus.handle(CommitSlot(slot.id, f"O{i}"), ADMIN)

    results = await race(8, work)
    assert all(isinstance(r, int | errors.SlotNotActive) for r in results), results
    # An expiry skips a booking another transaction has locked (a refused
    # commit, for a moment): the worker's next round takes it then.
    expired = sum(r for r in results if isinstance(r, int))
    expired += await db.bus.handle(ExpireDueSlots(), ADMIN)
    assert expired == 1
    assert await weeks_of(raw) == {"2026-W01": (10, 0, 0)}
    assert (await db.reads.verify()).clean


async def test_orders_racing_for_a_week_commit_no_more_than_it_has(
    db: Container, raw: asyncpg.Connection
) -> None:
    await workshop(db, {0: 5})

    async def order(i: int) -> Any:
        return await db.bus.handle(
            PlaceOrder(f"O{i}", f"f{i}", lines=(LineRequest("SOFA", 1),)), ADMIN
        )

    results = await race(12, order)
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 7
    assert all(isinstance(r, errors.InsufficientCapacity) for r in refused)
    assert await weeks_of(raw) == {"2026-W01": (5, 0, 5)}
    assert (await db.reads.verify()).clean


async def test_two_line_bookings_in_opposite_order_never_deadlock_nor_over_book(
    db: Container, raw: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sofa takes two units, a chair one, from the same pool, whose weeks
    alternate one and two units: a sofa line takes the first week of two, a
    chair line the week of one before it. Half the bookings list the sofa
    first, half the chair — week rows taken in opposite orders. The pool is
    locked first by a booking with more than one line in it: none waits in
    a cycle (no deadlock, so no retry), and no week is over-booked."""
    await workshop(db, {i: 1 + i % 2 for i in range(8)}, skus=("SOFA", "CHAIR"))
    deadlocks: list[BaseException] = []
    handler = db.bus.handlers[BookSlots]

    async def counted(*args: Any) -> Any:
        try:
            return await handler(*args)
        except asyncpg.DeadlockDetectedError as e:
            deadlocks.append(e)
            raise

    monkeypatch.setitem(db.bus.handlers, BookSlots, counted)

    async def book(i: int) -> SlotBooking:
        sofa, chair = LineRequest("SOFA", 2), LineRequest("CHAIR", 1)
        lines = (sofa, chair) if i % 2 else (chair, sofa)
        slot: SlotBooking = await db.bus.handle(BookSlots(lines), ADMIN)
        return slot

    for _ in range(5):  # each round deadlocked about one time in three before
        results = await race(40, book)
        assert deadlocks == []
        booked = [r for r in results if isinstance(r, SlotBooking)]
        refused = [r for r in results if not isinstance(r, SlotBooking)]
        assert all(isinstance(r, errors.InsufficientCapacity) for r in refused), refused
        assert len(booked) == 4  # 12 units, 3 a booking: all of them taken
        weeks = await weeks_of(raw)
        assert all(units == held and committed == 0 for units, held, committed in weeks.values())
        for slot in booked:
            await db.bus.handle(ReleaseSlot(slot.id), ADMIN)
    assert (await db.reads.verify()).clean
