"""Random sequences of adjust / reserve / extend / release / commit / expire,
of orders, shipments, cancellations, returns, transfers and store sales, and
of purchase orders received, cut and re-dated (backorders tie to them).

Whatever happens, no level's `available` goes below its floor, and replaying
the ledger reproduces the levels, the holds and the orders exactly. Runs on the fake (many
examples) and on PostgreSQL (fewer, slower examples).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockd import errors
from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container, build_in_memory
from stockd.config import Settings
from stockd.domain.adjustments import Change
from stockd.domain.commands import (
    Adjust,
    CancelOrder,
    ChangePurchaseOrderEta,
    Command,
    CommitReservation,
    CreatePurchaseOrder,
    CreateTransfer,
    CutPurchaseOrder,
    ExtendReservation,
    LineRequest,
    PlaceOrder,
    ReceivePurchaseOrder,
    ReceiveTransfer,
    RecordSale,
    ReleaseReservation,
    Reserve,
    ReturnItems,
    ShipOrder,
    SkuQuantity,
)
from stockd.domain.quantities import LevelKey, State
from stockd.domain.reservations import Reservation
from stockd.entrypoints.workers.loops import expire_once
from tests.support import ADMIN, RESET, T0, seed

SKUS = ("A", "B")
LOCATIONS = ("x", "y")
ADJUSTABLE = (State.ON_HAND, State.DAMAGED, State.SAFETY_STOCK, State.QUALITY_CONTROL)


@dataclass(frozen=True)
class Step:
    op: str
    args: tuple[object, ...]


lines = st.lists(
    st.builds(
        LineRequest,
        st.sampled_from(SKUS),
        st.integers(1, 6),
        st.one_of(st.none(), st.sampled_from(LOCATIONS)),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda x: (x.sku, x.location),
)
steps = st.lists(
    st.one_of(
        st.builds(
            lambda *a: Step("adjust", a),
            st.sampled_from(SKUS),
            st.sampled_from(LOCATIONS),
            st.sampled_from(ADJUSTABLE),
            st.integers(-8, 12).filter(bool),
        ),
        st.builds(lambda ls, ttl: Step("reserve", (tuple(ls), ttl)), lines, st.integers(1, 120)),
        st.builds(lambda i, t: Step("extend", (i, t)), st.integers(0, 50), st.integers(1, 120)),
        st.builds(lambda i: Step("release", (i,)), st.integers(0, 50)),
        st.builds(lambda i: Step("commit", (i,)), st.integers(0, 50)),
        st.builds(lambda s: Step("advance", (s,)), st.integers(1, 90)),
        st.just(Step("expire", ())),
        st.builds(lambda ls: Step("order", (tuple(ls),)), lines),
        st.builds(lambda i: Step("order_hold", (i,)), st.integers(0, 50)),
        st.builds(
            lambda i, loc, sku, q: Step("ship", (i, loc, sku, q)),
            st.integers(0, 50),
            st.sampled_from(LOCATIONS),
            st.sampled_from(SKUS),
            st.integers(1, 5),
        ),
        st.builds(lambda i: Step("cancel", (i,)), st.integers(0, 50)),
        st.builds(
            lambda i, loc, sku, q, cond: Step("return", (i, loc, sku, q, cond)),
            st.integers(0, 50),
            st.sampled_from(LOCATIONS),
            st.sampled_from(SKUS),
            st.integers(1, 4),
            st.sampled_from(["resellable", "damaged", "quality_control"]),
        ),
        st.builds(
            lambda sku, q, forward: Step("transfer", (sku, q, forward)),
            st.sampled_from(SKUS),
            st.integers(1, 5),
            st.booleans(),
        ),
        st.builds(lambda i: Step("receive", (i,)), st.integers(0, 50)),
        st.builds(
            lambda loc, q, days: Step("po", (loc, q, days)),
            st.sampled_from(LOCATIONS),
            st.integers(1, 6),
            st.integers(0, 60),
        ),
        st.builds(
            lambda op, i, q: Step(op, (i, q)),
            st.sampled_from(["po_receive", "po_cut", "po_eta"]),
            st.integers(0, 50),
            st.integers(1, 6),
        ),
        st.builds(
            lambda loc, sku, q, receipt: Step("sale", (loc, sku, q, receipt)),
            st.sampled_from(LOCATIONS),
            st.sampled_from(SKUS),
            st.integers(1, 4),
            st.integers(0, 5),
        ),
    ),
    max_size=30,
)

EXPECTED = (
    errors.InsufficientStock,
    errors.BulkRejected,
    errors.ReservationNotActive,
    errors.InvalidRequest,
    errors.BeyondRecorded,
    errors.OrderClosed,
    errors.AlreadyExists,
    errors.Conflict,
)


async def run(c: Container, program: list[Step]) -> None:
    assert isinstance(c.clock, ManualClock)
    holds: list[Reservation] = []
    orders: list[str] = []
    transfers: list[str] = []
    pos: list[str] = []
    for n, step in enumerate(program):
        try:
            if step.op in INBOUND_OPS:
                await inbound_step(c, step, n, pos)
            elif step.op in ORDER_OPS:
                await order_step(c, step, n, holds, orders, transfers)
            elif step.op == "adjust":
                sku, loc, state, delta = step.args
                change = Change(LevelKey(sku, loc), state, "prop", delta=delta)  # type: ignore[arg-type]
                await c.bus.handle(Adjust((change,)), ADMIN)
            elif step.op == "reserve":
                ls, ttl = step.args
                holds.append(await c.bus.handle(Reserve(ls, ttl_seconds=ttl), ADMIN))  # type: ignore[arg-type]
            elif step.op == "advance":
                c.clock.advance(step.args[0])  # type: ignore[arg-type]
            elif step.op == "expire":
                await expire_once(c)
            elif holds:
                r = holds[step.args[0] % len(holds)]  # type: ignore[operator]
                cmd: Command
                if step.op == "extend":
                    cmd = ExtendReservation(r.id, step.args[1])  # type: ignore[arg-type]
                elif step.op == "release":
                    cmd = ReleaseReservation(r.id)
                else:
                    cmd = CommitReservation(r.id, f"order-{r.id}")
                await c.bus.handle(cmd, ADMIN)
        except EXPECTED:
            pass
        await assert_floors_hold(c)
    report = await c.reads.verify()
    assert report.discrepancies == ()


ORDER_OPS = {"order", "order_hold", "ship", "cancel", "return", "transfer", "receive", "sale"}
INBOUND_OPS = {"po", "po_receive", "po_cut", "po_eta"}


async def inbound_step(c: Container, step: Step, n: int, pos: list[str]) -> None:
    """Purchase orders of the backorder SKU B: placed, received, cut, re-dated."""
    a = step.args
    if step.op == "po":
        eta = T0 + timedelta(days=a[2])  # type: ignore[arg-type]
        cmd = CreatePurchaseOrder(f"PO{n}", "S", a[0], (SkuQuantity("B", a[1]),), eta)  # type: ignore[arg-type]
        pos.append((await c.bus.handle(cmd, ADMIN)).id)
    elif pos:
        po_id = pos[a[0] % len(pos)]  # type: ignore[operator]
        units = (SkuQuantity("B", a[1]),)  # type: ignore[arg-type]
        if step.op == "po_receive":
            await c.bus.handle(ReceivePurchaseOrder(po_id, units), ADMIN)
        elif step.op == "po_cut":
            await c.bus.handle(CutPurchaseOrder(po_id, units), ADMIN)
        else:
            eta = T0 + timedelta(days=a[1] * 7)  # type: ignore[operator]
            await c.bus.handle(ChangePurchaseOrderEta(po_id, eta), ADMIN)


async def order_step(
    c: Container,
    step: Step,
    n: int,
    holds: list[Reservation],
    orders: list[str],
    transfers: list[str],
) -> None:
    a = step.args
    if step.op == "order":
        orders.append((await c.bus.handle(PlaceOrder(f"O{n}", "f", lines=a[0]), ADMIN)).order.id)  # type: ignore[arg-type]
    elif step.op == "order_hold" and holds:
        hold = holds[a[0] % len(holds)]  # type: ignore[operator]
        placed = await c.bus.handle(PlaceOrder(f"O{n}", "f", reservation_id=hold.id), ADMIN)
        orders.append(placed.order.id)
    elif step.op == "ship" and orders:
        order = orders[a[0] % len(orders)]  # type: ignore[operator]
        await c.bus.handle(ShipOrder(order, a[1], (SkuQuantity(a[2], a[3]),)), ADMIN)  # type: ignore[arg-type]
    elif step.op == "cancel" and orders:
        await c.bus.handle(CancelOrder(orders[a[0] % len(orders)]), ADMIN)  # type: ignore[operator]
    elif step.op == "return" and orders:
        order = orders[a[0] % len(orders)]  # type: ignore[operator]
        cmd = ReturnItems(order, a[1], a[4], (SkuQuantity(a[2], a[3]),))  # type: ignore[arg-type]
        await c.bus.handle(cmd, ADMIN)
    elif step.op == "transfer":
        source, destination = LOCATIONS if a[2] else LOCATIONS[::-1]
        cmd2 = CreateTransfer(source, destination, (SkuQuantity(a[0], a[1]),))  # type: ignore[arg-type]
        transfers.append((await c.bus.handle(cmd2, ADMIN)).id)
    elif step.op == "receive" and transfers:
        await c.bus.handle(ReceiveTransfer(transfers[a[0] % len(transfers)]), ADMIN)  # type: ignore[operator]
    elif step.op == "sale":
        sale = RecordSale(a[0], f"R{a[3]}", (SkuQuantity(a[1], a[2]),), f"{a[1]}:{a[2]}")  # type: ignore[arg-type]
        await c.bus.handle(sale, ADMIN)


async def assert_floors_hold(c: Container) -> None:
    async with c.bus.uow() as uow:
        levels = await uow.levels.lock(skus=SKUS)
    for level in levels.values():
        assert level.quantities.violations(level.floor) == [], level


async def setup(c: Container) -> None:
    await seed(
        c.bus,
        skus={"A": 0, "B": 0},
        locations={"x": 1, "y": 2},
        stock={("A", "x"): 5, ("B", "y"): 2},
        backorder={"B": 3},
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=steps)
async def test_random_sequences_keep_every_invariant_on_the_fake(program: list[Step]) -> None:
    c = build_in_memory(Settings(env="test", _env_file=None), ManualClock(T0))  # type: ignore[call-arg]
    await setup(c)
    await run(c, program)


@pytest.fixture
def pg(pg_container: Container) -> Container:
    return pg_container


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(program=steps)
async def test_random_sequences_keep_every_invariant_on_postgres(
    pg: Container, program: list[Step]
) -> None:
    assert pg.pool is not None
    await pg.pool.execute(RESET)
    assert isinstance(pg.clock, ManualClock)
    pg.clock.set(T0)
    await setup(pg)
    await run(pg, program)
