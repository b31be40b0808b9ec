"""The unit of work tells `on_commit` of the events it wrote, and only then."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from stockd.adapters.postgres.uow import PostgresUnitOfWorkFactory
from stockd.bootstrap import Container
from stockd.domain.commands import LineRequest, Reserve
from stockd.domain.events import Event, StockAdjusted, sku_of
from stockd.domain.quantities import LevelKey, Quantities
from tests.support import ADMIN, T0, seed


def adjusted() -> StockAdjusted:
    return StockAdjusted(
        at=T0,
        actor="test",
        key=LevelKey("A", "x"),
        delta=Quantities(on_hand=1),
        after=Quantities(on_hand=2),
    )


async def test_on_commit_hears_the_events_written_and_nothing_else(db: Container) -> None:
    assert db.pool is not None
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 1})
    heard: list[list[Event]] = []

    def on_commit(events: Sequence[Event]) -> None:
        heard.append(list(events))

    factory = PostgresUnitOfWorkFactory(db.pool, on_commit)
    async with factory() as uow:  # commits, writes nothing
        await uow.commit()
    async with factory() as uow:  # writes, rolls back
        await uow.ledger.append([adjusted()])
        await uow.ledger.flush()
    assert heard == []
    event = adjusted()
    async with factory() as uow:
        await uow.ledger.append([event])
        await uow.commit()
    assert heard == [[event]]


async def test_the_read_cache_hears_of_holds_written_by_group_commit(
    db: Container, monkeypatch
) -> None:
    """Keyless holds are written in one statement, not through the ledger:
    the cache still hears which SKUs they changed."""
    await seed(db.bus, skus={"A": 0, "B": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    heard: list[Event] = []
    monkeypatch.setattr(db.cache, "committed", heard.extend)
    await asyncio.gather(*(db.bus.handle(Reserve((LineRequest("A", 1),)), ADMIN) for _ in range(3)))
    assert [e.type for e in heard] == ["reservation.created"] * 3
    assert {sku_of(e) for e in heard} == {"A"}
