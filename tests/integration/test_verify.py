# ruff: noqa: E501  (the table of tamperings reads best one a line)
"""`stockd ledger verify` holds the holds, orders and transfers to the ledger:
tamper with one side and the check for it fires, on the fake and on
PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from stockd.adapters.memory import MemoryReadModel
from stockd.adapters.memory.state import MemoryData
from stockd.bootstrap import Container
from stockd.domain.capacity import CapacityPool
from stockd.domain.catalog import InventoryType, Location, Sku
from stockd.domain.commands import (
    BookSlots,
    CreateCapacityPool,
    CreateLocation,
    CreateSku,
    CreateTransfer,
    LineRequest,
    PlaceOrder,
    Reserve,
    ReturnItems,
    SetCapacity,
    ShipOrder,
    SkuQuantity,
    WeekUnits,
)
from stockd.domain.events import StockAdjusted
from stockd.domain.quantities import LevelKey, Quantities
from stockd.domain.weeks import IsoWeek
from tests.support import ADMIN, T0, seed

X = LevelKey("A", "x")


async def history(c: Container) -> dict[str, str]:
    """A hold, an order partly shipped and partly returned, a transfer in
    transit to x; the ids made."""
    await seed(
        c.bus, skus={"A": 0}, locations={"x": 1, "y": 2}, stock={("A", "x"): 10, ("A", "y"): 10}
    )
    hold = await c.bus.handle(Reserve((LineRequest("A", 2, "x"),)), ADMIN)
    await c.bus.handle(PlaceOrder("O1", "f", lines=(LineRequest("A", 4, "x"),)), ADMIN)
    await c.bus.handle(ShipOrder("O1", "x", (SkuQuantity("A", 3),)), ADMIN)
    await c.bus.handle(ReturnItems("O1", "y", "resellable", (SkuQuantity("A", 1),)), ADMIN)
    transfer = await c.bus.handle(CreateTransfer("y", "x", (SkuQuantity("A", 3),)), ADMIN)
    assert (await c.reads.verify()).discrepancies == ()
    return {"hold": hold.id, "transfer": transfer.id}


Ids = dict[str, str]


def fewer_units_held(s: MemoryData, ids: Ids) -> None:
    r = s.reservations[ids["hold"]]
    s.reservations[r.id] = replace(r, lines=(replace(r.lines[0], quantity=1, named=1),))


def more_shipped(s: MemoryData, ids: Ids) -> None:
    o = s.orders["O1"]
    s.orders["O1"] = replace(o, lines=(replace(o.lines[0], shipped=4, committed=0),))


def none_returned(s: MemoryData, ids: Ids) -> None:
    o = s.orders["O1"]
    s.orders["O1"] = replace(o, lines=(replace(o.lines[0], returned=0),))


def partly_received(s: MemoryData, ids: Ids) -> None:
    t = s.transfers[ids["transfer"]]
    s.transfers[t.id] = replace(t, lines=(replace(t.lines[0], received=1),))


TAMPERS: list[tuple[str, str, str, Callable[[MemoryData, Ids], None]]] = [
    # (check, subject, the tampering in SQL, and on the fake)
    ("reservations", "{hold}: A@x", "UPDATE reservation_lines SET quantity = 1, named = 1", fewer_units_held),
    ("shipments", "order O1: A@x", "UPDATE order_lines SET shipped = 4, committed = 0", more_shipped),
    ("returns", "order O1: A", "UPDATE order_lines SET returned = 0", none_returned),
    ("transfers", "transfer {transfer}: A@x", "UPDATE transfer_lines SET received = 1", partly_received),
]  # fmt: skip


@pytest.mark.parametrize(
    ("check", "subject", "statement", "change"), TAMPERS, ids=[t[0] for t in TAMPERS]
)
async def test_each_check_fires_when_its_side_is_tampered_with(
    backend: Container,
    check: str,
    subject: str,
    statement: str,
    change: Callable[[MemoryData, Ids], None],
) -> None:
    ids = await history(backend)
    if backend.pool is not None:
        await backend.pool.execute(statement)
    else:
        assert isinstance(backend.reads, MemoryReadModel)
        change(backend.reads.store.state, ids)
    found = (await backend.reads.verify()).discrepancies
    assert (check, subject.format(**ids)) in {(d.check, d.subject) for d in found}, found


async def test_incoming_below_what_is_in_transit_is_found(backend: Container) -> None:
    """The state the rule on adjusting `incoming` now prevents, written past
    the handlers as an adjustment would have written it before: the ledger
    and the levels agree, and only the transfers can tell."""
    await history(backend)
    async with backend.bus.uow() as uow:
        delta = Quantities(incoming=-2)
        after = await uow.levels.apply(X, delta, T0)
        assert after is not None
        event = StockAdjusted(key=X, delta=delta, after=after.quantities, at=T0, actor="test")
        await uow.ledger.append([event])
        await uow.commit()
    found = (await backend.reads.verify()).discrepancies
    assert [(d.check, d.subject) for d in found] == [("incoming", "A@x")]


async def test_a_tampered_capacity_week_is_found(backend: Container) -> None:
    """A week whose `held` changed behind the ledger's back fails both
    capacity checks: against the ledger's production events, and against
    the bookings that stand in it."""
    await backend.bus.handle(CreateLocation(Location("works", "Works")), ADMIN)
    await backend.bus.handle(CreateCapacityPool(CapacityPool("P", "works", "P")), ADMIN)
    made = Sku("SOFA", "P", "Sofa", inventory_type=InventoryType.MADE_TO_ORDER, capacity_pool="P")
    await backend.bus.handle(CreateSku(made), ADMIN)
    await backend.bus.handle(SetCapacity("P", (WeekUnits("2026-W01", 10),)), ADMIN)
    await backend.bus.handle(BookSlots((LineRequest("SOFA", 3),)), ADMIN)
    await backend.bus.handle(PlaceOrder("O1", "f", lines=(LineRequest("SOFA", 2),)), ADMIN)
    assert (await backend.reads.verify()).discrepancies == ()
    if backend.pool is not None:
        await backend.pool.execute("UPDATE capacity_weeks SET held = held + 1")
    else:
        assert isinstance(backend.reads, MemoryReadModel)
        weeks = backend.reads.store.state.capacity.weeks
        key = ("P", IsoWeek(2026, 1))
        weeks[key] = replace(weeks[key], held=weeks[key].held + 1)
    found = {(d.check, d.subject) for d in (await backend.reads.verify()).discrepancies}
    assert found == {("capacity", "pool P 2026-W01"), ("capacity_bookings", "pool P 2026-W01")}
