"""Availability reads: asked together they share a query, and what they show
is never older than the ask (levels, and the locations they are shown with)."""

from __future__ import annotations

import asyncio

from stockd.bootstrap import Container
from stockd.domain.adjustments import Change
from stockd.domain.commands import Adjust, UpdateLocation
from stockd.domain.quantities import LevelKey, State
from tests.support import ADMIN, seed


async def test_concurrent_asks_each_get_their_own_sku(backend: Container) -> None:
    stock = {(f"S{i}", loc): i + j for i in range(12) for j, loc in enumerate(("x", "y"))}
    await seed(
        backend.bus, skus={f"S{i}": 0 for i in range(12)}, locations={"x": 1, "y": 2}, stock=stock
    )
    asks = [f"S{i % 12}" for i in range(60)] + ["NOPE"]
    answers = await asyncio.gather(*(backend.availability.of(sku) for sku in asks))
    for sku, located in zip(asks, answers, strict=True):
        if sku == "NOPE":
            assert located is None  # no such SKU, told apart in the same query
            continue
        assert located is not None
        assert [(x.level.key.sku, x.location.id) for x in located] == [(sku, "x"), (sku, "y")]
        assert [x.level.available for x in located] == [stock[sku, "x"], stock[sku, "y"]]


async def test_a_read_after_a_change_shows_it(backend: Container) -> None:
    await seed(
        backend.bus, skus={"A": 0}, locations={"x": 1, "y": 2}, stock={("A", "x"): 3, ("A", "y"): 4}
    )
    before = await backend.availability.of("A")
    assert [(x.location.id, x.location.active, x.location.priority) for x in before] == [
        ("x", True, 1),
        ("y", True, 2),
    ]
    await backend.bus.handle(UpdateLocation("x", {"active": False, "priority": 5}), ADMIN)
    change = Change(LevelKey("A", "y"), State.ON_HAND, "count", delta=1)
    await backend.bus.handle(Adjust((change,)), ADMIN)
    after = await backend.availability.of("A")
    assert [(x.location.id, x.location.active, x.location.priority) for x in after] == [
        ("y", True, 2),
        ("x", False, 5),
    ]
    assert [x.level.available for x in after] == [5, 3]
