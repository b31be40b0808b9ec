"""The event stream: every change appends its events in its own transaction,
one definition per event type, readable by type, family and reference."""

from __future__ import annotations

import asyncio
import itertools
import types
from dataclasses import replace
from datetime import datetime
from typing import Any, Union, get_args, get_origin

import pytest

from stockd.bootstrap import Container
from stockd.domain.adjustments import Change
from stockd.domain.catalog import Location, Sku
from stockd.domain.commands import (
    Adjust,
    CancelOrder,
    CreateLocation,
    CreateSku,
    CreateTransfer,
    LineRequest,
    PlaceOrder,
    ReceiveTransfer,
    Reserve,
    ShipOrder,
    SkuQuantity,
    UpdateLocation,
    UpdateSku,
)
from stockd.domain.events import EVENT_TYPES, Event, Movement, documented_fields
from stockd.domain.quantities import LevelKey, Quantities, State
from stockd.service.context import Context
from stockd.service.handlers.reserve_batch import Request, reserve_batch
from stockd.service.messagebus import Idempotency
from stockd.service.ports import StoredResponse
from stockd.service.queries import EventFilter
from tests.support import ADMIN, RESET, T0, seed


async def types_after(c: Container, seq: int, only: EventFilter | None = None) -> list[str]:
    return [r.event.type for r in await c.reads.events(seq, 1000, only)]


async def head(c: Container) -> int:
    found = await c.reads.events(0, 100_000)
    return found[-1].seq if found else 0


async def test_catalogue_changes_are_events_and_a_change_to_nothing_is_none(
    backend: Container,
) -> None:
    bus = backend.bus
    await bus.handle(CreateSku(Sku("A", "P", "Shirt")), ADMIN)
    await bus.handle(CreateLocation(Location("x", "X")), ADMIN)
    start = await head(backend)
    changed = await bus.handle(UpdateSku("A", {"name": "Blue shirt"}), ADMIN)
    same = await bus.handle(UpdateSku("A", {"name": "Blue shirt"}), ADMIN)
    nothing = await bus.handle(UpdateSku("A", {}), ADMIN)
    assert changed.version == same.version == nothing.version == 2
    await bus.handle(UpdateLocation("x", {"priority": 5}), ADMIN)
    await bus.handle(UpdateLocation("x", {"priority": 5, "name": "X"}), ADMIN)
    records = await backend.reads.events(0, 100)
    assert [r.event.type for r in records] == [
        "sku.created",
        "location.created",
        "sku.changed",
        "location.changed",
    ]
    created, _, sku_changed, location_changed = (r.event for r in records)
    assert created.attributes["name"] == "Shirt"  # type: ignore[attr-defined]
    assert sku_changed.changes == {"name": {"from": "Shirt", "to": "Blue shirt"}}  # type: ignore[attr-defined]
    assert location_changed.changes == {"priority": {"from": 100, "to": 5}}  # type: ignore[attr-defined]
    assert await types_after(backend, start, EventFilter(sku="A")) == ["sku.changed"]
    assert await types_after(backend, start, EventFilter(location="x")) == ["location.changed"]


async def test_an_order_is_followed_from_placement_to_cancellation(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 10})
    start = await head(backend)
    await backend.bus.handle(PlaceOrder("O1", "f", lines=(LineRequest("A", 4),)), ADMIN)
    await backend.bus.handle(ShipOrder("O1", "x", (SkuQuantity("A", 1),)), ADMIN)
    await backend.bus.handle(CancelOrder("O1"), ADMIN)
    records = await backend.reads.events(start, 100, EventFilter(order_id="O1"))
    assert [r.event.type for r in records] == [
        "order.placed",
        "order.allocated",
        "order.shipped",
        "order.status_changed",
        "order.cancelled",
        "order.status_changed",
    ]
    placed = records[0].event
    assert placed.lines == ({"sku": "A", "location": "x", "quantity": 4},)  # type: ignore[attr-defined]
    assert [
        (r.event.previous, r.event.status) for r in records if r.event.type.endswith("ged")
    ] == [  # type: ignore[attr-defined]
        ("open", "partially_shipped"),
        ("partially_shipped", "cancelled"),
    ]


async def test_a_transfer_is_followed_until_received(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1, "y": 2}, stock={("A", "x"): 5})
    start = await head(backend)
    t = await backend.bus.handle(CreateTransfer("x", "y", (SkuQuantity("A", 3),)), ADMIN)
    await backend.bus.handle(ReceiveTransfer(t.id, (SkuQuantity("A", 1),)), ADMIN)
    await backend.bus.handle(ReceiveTransfer(t.id), ADMIN)
    records = await backend.reads.events(start, 100)
    assert [r.event.type for r in records] == [
        "transfer.created",
        "transfer.sent",
        "transfer.incoming",
        "transfer.received",
        "transfer.status_changed",
        "transfer.received",
        "transfer.status_changed",
    ]
    assert all(r.event.transfer_id == t.id for r in records)


async def test_events_are_filtered_by_type_family_and_reference(backend: Container) -> None:
    await seed(
        backend.bus,
        skus={"A": 0, "B": 0},
        locations={"x": 1, "y": 2},
        stock={("A", "x"): 5, ("B", "y"): 5},
    )
    hold = await backend.bus.handle(Reserve((LineRequest("A", 1), LineRequest("B", 1))), ADMIN)
    await backend.bus.handle(PlaceOrder("O1", "f", lines=(LineRequest("B", 2),)), ADMIN)

    def only(**kw: Any) -> EventFilter:
        return EventFilter(**kw)

    assert await types_after(backend, 0, only(types=frozenset({"sku.created"}))) == [
        "sku.created",
        "sku.created",
    ]
    assert await types_after(
        backend, 0, only(types=frozenset({"order.placed"}), families=frozenset({"reservation"}))
    ) == ["reservation.created", "reservation.created", "order.placed"]
    by_reservation = await backend.reads.events(0, 100, only(reservation_id=hold.id))
    assert [(r.event.type, r.event.key.sku) for r in by_reservation] == [  # type: ignore[attr-defined]
        ("reservation.created", "A"),
        ("reservation.created", "B"),
    ]
    assert await types_after(backend, 0, only(sku="B", location="y")) == [
        "stock.adjusted",
        "reservation.created",
        "order.allocated",
    ]
    assert await types_after(backend, 0, only(sku="B", families=frozenset({"order"}))) == [
        "order.allocated"
    ]


def sample(hint: Any, n: int) -> Any:
    """A value of the given field type (for writing every event type)."""
    if get_origin(hint) in (Union, types.UnionType):
        return sample(next(a for a in get_args(hint) if a is not type(None)), n)
    origin = get_origin(hint) or hint
    values: dict[Any, Any] = {
        str: f"v{n}",
        int: n,
        datetime: T0,
        LevelKey: LevelKey("A", "x"),
        Quantities: Quantities(on_hand=n, reserved=1),
        dict: {"k": n, "nested": {"from": None, "to": [1, 2]}},
        tuple: ({"sku": "A", "quantity": n},),
    }
    return values[origin]


async def test_every_event_type_is_stored_and_read_back_unchanged(db: Container) -> None:
    counter = itertools.count(1)
    written: list[Event] = []
    for cls in EVENT_TYPES.values():
        values = {f.name: sample(f.type, next(counter)) for f in documented_fields(cls)}
        if issubclass(cls, Movement):
            values["delta"] = Quantities(reserved=1)
            # A movement through a channel also moves its counter, of a SKU
            # and channel that must exist (tests/integration/test_channel_holds.py).
            values["channel"] = None
        written.append(cls(**values))
    async with db.bus.uow() as uow:
        await uow.ledger.append(written)
        await uow.commit()
    read = [r.event for r in await db.reads.events(0, 1000)]
    assert read == written


async def test_both_hold_writers_record_the_same_events(db: Container) -> None:
    # Keyless holds are written by one SQL statement that renders their
    # events; keyed ones by the Python ledger writer. Same holds, same events.
    requests = [
        Request(Reserve((LineRequest("A", 2), LineRequest("B", 1, "y"))), Context("key:k1", "i1")),
        Request(Reserve((LineRequest("A", 3),), reference="cart-9"), Context("key:k2", None)),
        Request(Reserve((LineRequest("A", 1, "y"),)), Context("key:k1", "i2")),
    ]
    ids = itertools.count()
    deps = replace(db.bus.deps, new_id=lambda prefix: f"{prefix}_{next(ids)}")

    async def written(locked: bool) -> list[dict[str, Any]]:
        assert db.pool is not None
        await db.pool.execute(RESET)
        await seed(
            db.bus,
            skus={"A": 0, "B": 0},
            locations={"x": 1, "y": 2},
            stock={("A", "x"): 4, ("A", "y"): 9, ("B", "y"): 3},  # the second hold splits
        )
        start = await head(db)
        async with db.bus.uow(autocommit=not locked) as uow:
            outcomes = await reserve_batch(requests, uow, deps, locked=locked)
            await uow.commit()
        assert outcomes is not None
        assert not [o for o in outcomes if isinstance(o, Exception)]
        return [vars_of(r.event) for r in await db.reads.events(start, 100)]

    by_python = await written(locked=True)
    ids = itertools.count()
    by_sql = await written(locked=False)
    assert len(by_sql) == 5
    assert by_sql == by_python


def vars_of(e: Event) -> dict[str, Any]:
    return {f.name: getattr(e, f.name) for f in documented_fields(type(e))}


@pytest.mark.parametrize("state", [State.ON_HAND])
async def test_adjusting_to_the_current_value_records_nothing(
    backend: Container, state: State
) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    start = await head(backend)
    [before] = await backend.reads.levels(T0, sku="A", location="x", after=None, limit=1)
    result = await backend.bus.handle(
        Adjust((Change(LevelKey("A", "x"), state, "count", set_to=5),)), ADMIN
    )
    assert result.applied == 1
    [after] = await backend.reads.levels(T0, sku="A", location="x", after=None, limit=1)
    assert after.version == before.version
    assert await types_after(backend, start) == []


async def test_a_reader_following_the_stream_never_finds_an_event_behind_it(
    db: Container,
) -> None:
    # Writers of every kind race (holds written by one statement and under
    # lock, adjustments, orders, catalogue changes) while a reader follows
    # `after=`: at the end it has seen every event exactly once, in seq
    # order; an event committing behind the reader's position would be lost.
    skus = {f"S{i}": 0 for i in range(4)}
    stock = {(s, "x"): 1_000 for s in skus}
    await seed(db.bus, skus=skus, locations={"x": 1}, stock=stock)
    done = asyncio.Event()

    def render(r: Any) -> StoredResponse:
        return StoredResponse(201, b"{}")

    async def holds(i: int) -> None:
        for n in range(15):
            cmd = Reserve((LineRequest(f"S{(i + n) % 4}", 1),))
            if n % 3:
                await db.bus.handle(cmd, ADMIN)
            else:
                idem = Idempotency("test", f"k{i}-{n}", "f")
                await db.bus.handle_idempotent(cmd, ADMIN, idem, render)

    async def others(i: int) -> None:
        for n in range(10):
            key = LevelKey(f"S{n % 4}", "x")
            await db.bus.handle(Adjust((Change(key, State.ON_HAND, "w", delta=1),)), ADMIN)
            order = PlaceOrder(f"O{i}-{n}", "f", lines=(LineRequest(f"S{i % 4}", 1),))
            await db.bus.handle(order, ADMIN)
            await db.bus.handle(CreateSku(Sku(f"N{i}-{n}", "P", "new")), ADMIN)

    seen: list[int] = []

    async def reader() -> None:
        after = 0
        while True:
            finished = done.is_set()
            page = await db.reads.events(after, 7)
            seen.extend(r.seq for r in page)
            if page:
                after = page[-1].seq
            elif finished:
                return
            await asyncio.sleep(0)

    following = asyncio.create_task(reader())
    await asyncio.gather(*(holds(i) for i in range(6)), *(others(i) for i in range(4)))
    done.set()
    await following
    everything = [r.seq for r in await db.reads.events(0, 100_000)]
    assert seen == everything
    assert len(everything) == len(set(everything))
    kinds = {r.event.type for r in await db.reads.events(0, 100_000)}
    assert {"reservation.created", "stock.adjusted", "order.placed", "sku.created"} <= kinds
    assert (await db.reads.verify()).clean
