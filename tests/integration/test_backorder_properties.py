"""Properties of backorders tied to inbound, over random purchase orders and
orders: backordered units map one-to-one onto inbound units in first come,
first served order (earliest ETA first), and a slipped ETA re-dates exactly
the orders tied to that purchase order. Many examples on the fake, fewer on
PostgreSQL."""

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
from stockd.domain.commands import (
    ChangePurchaseOrderEta,
    CreatePurchaseOrder,
    LineRequest,
    PlaceOrder,
    SkuQuantity,
)
from stockd.domain.events import PromiseChanged
from stockd.domain.promises import Holder, HolderKind
from tests.support import ADMIN, RESET, T0, seed


@dataclass(frozen=True)
class Case:
    inbound: list[tuple[int, int]]
    """Per purchase order: units, ETA in days from now."""
    orders: list[int]
    """Units per order, placed in this order."""
    slip: tuple[int, int]
    """Which purchase order slips (index), to how many days from now."""


cases = st.builds(
    Case,
    inbound=st.lists(st.tuples(st.integers(1, 5), st.integers(1, 60)), min_size=1, max_size=4),
    orders=st.lists(st.integers(1, 4), min_size=1, max_size=8),
    slip=st.tuples(st.integers(0, 3), st.integers(0, 90)),
)


async def check(c: Container, case: Case) -> None:
    await seed(c.bus, skus={"L": 0}, locations={"x": 1}, backorder={"L": 1000})
    for i, (units, days) in enumerate(case.inbound):
        cmd = CreatePurchaseOrder(
            f"PO-{i}", "ACME", "x", (SkuQuantity("L", units),), T0 + timedelta(days=days)
        )
        await c.bus.handle(cmd, ADMIN)

    # Every inbound unit, earliest first: the slots backorders fill in turn.
    slots = [
        f"po:PO-{i}"
        for i, (units, days) in sorted(
            enumerate(case.inbound), key=lambda x: (x[1][1], f"po:PO-{x[0]}")
        )
        for _ in range(units)
    ]
    placed: list[tuple[str, int]] = []
    for n, units in enumerate(case.orders):
        try:
            await c.bus.handle(
                PlaceOrder(f"O{n}", f"O{n}", lines=(LineRequest("L", units, "x"),)), ADMIN
            )
        except errors.InsufficientStock:
            taken = sum(u for _, u in placed)
            assert taken + units > len(slots)  # refused only when the inbound is short
            continue
        placed.append((f"O{n}", units))

    async def ties(order_id: str) -> list[str]:
        found = await c.reads.promises(Holder(HolderKind.ORDER, order_id))
        return sorted(
            f"{t.supply.value}:{t.supply_id}" for t in found.ties for _ in range(t.quantity)
        )

    at = 0
    before: dict[str, list[str]] = {}
    for order_id, units in placed:
        before[order_id] = await ties(order_id)
        assert before[order_id] == sorted(slots[at : at + units]), order_id
        at += units

    # Slip one purchase order: exactly the orders tied to it may be re-dated.
    eta = {f"po:PO-{i}": T0 + timedelta(days=d) for i, (_, d) in enumerate(case.inbound)}
    index, days = case.slip
    slipped = f"PO-{index % len(case.inbound)}"
    seq = (await c.reads.events(0, 100_000))[-1].seq
    await c.bus.handle(ChangePurchaseOrderEta(slipped, T0 + timedelta(days=days)), ADMIN)
    events = [
        r.event for r in await c.reads.events(seq, 10_000) if isinstance(r.event, PromiseChanged)
    ]
    affected = {o for o, t in before.items() if f"po:{slipped}" in t}
    for order_id, _ in placed:
        after = await ties(order_id)
        if order_id not in affected:
            assert after == before[order_id], order_id
        found = await c.reads.promises(Holder(HolderKind.ORDER, order_id))
        dated = [(e.previous, e.ready_at) for e in events if e.order_id == order_id]
        previous = max(eta[ref] for ref in before[order_id])
        ready = max(t.ready_at for t in found.ties if t.ready_at is not None)
        if order_id not in affected:
            assert dated == [], order_id
        else:
            assert dated == ([] if ready == previous else [(previous, ready)]), order_id
    assert (await c.reads.verify()).discrepancies == ()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases)
async def test_backorders_fill_inbound_first_come_first_served_on_the_fake(case: Case) -> None:
    c = build_in_memory(Settings(env="test", _env_file=None), ManualClock(T0))  # type: ignore[call-arg]
    await check(c, case)


@pytest.fixture
def pg(pg_container: Container) -> Container:
    return pg_container


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=cases)
async def test_backorders_fill_inbound_first_come_first_served_on_postgres(
    pg: Container, case: Case
) -> None:
    assert pg.pool is not None
    await pg.pool.execute(RESET)
    assert isinstance(pg.clock, ManualClock)
    pg.clock.set(T0)
    await check(pg, case)
