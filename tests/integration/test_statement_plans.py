"""The group-commit statements are planned once per connection, not once
per batch: after five executions PostgreSQL keeps their generic plan, even
when the first batches were single holds (`adapters.postgres.plans`)."""

from __future__ import annotations

from stockd.adapters.postgres.pool import create_pool
from stockd.adapters.postgres.uow import PostgresUnitOfWorkFactory
from stockd.bootstrap import Container, deps_for
from stockd.domain.channels import PoolShare
from stockd.domain.commands import CreateChannel, LineRequest, Reserve, SetChannelPools
from stockd.service.context import Context
from stockd.service.handlers.reserve_batch import Request, reserve_batch
from tests.integration.test_channel_holds import AMAZON, WEB
from tests.support import ADMIN, seed


async def test_hold_batches_keep_a_generic_plan(db: Container, database_url: str) -> None:
    await seed(
        db.bus, skus={"A": 0, "B": 0}, locations={"x": 1}, stock={("A", "x"): 100, ("B", "x"): 100}
    )
    for channel in (WEB, AMAZON):
        await db.bus.handle(CreateChannel(channel), ADMIN)
    await db.bus.handle(SetChannelPools("A", (PoolShare("web", 50),)), ADMIN)
    pool = await create_pool(database_url, min_size=1, max_size=1)  # one connection: one cache
    try:
        uow = PostgresUnitOfWorkFactory(pool)
        deps = deps_for(db.settings, db.clock)
        for sku, channel in [("B", None)] * 8 + [("A", "web")] * 8:
            hold = Request(Reserve((LineRequest(sku, 1, "x"),), channel=channel), Context("t"))
            async with uow(autocommit=True) as u:
                assert await reserve_batch([hold], u, deps, locked=False) is not None
        plans = await pool.fetch(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
        )
    finally:
        await pool.close()
    # The two one-statement writes (through no channel, through channels)
    # and the channels' book.
    hot = [p for p in plans if p["statement"].lstrip().startswith(("WITH d AS", "WITH s AS"))]
    assert len(hot) == 3, [p["statement"][:40] for p in plans]
    assert all(p["generic_plans"] >= 3 and p["custom_plans"] <= 5 for p in hot), [
        (p["statement"][:40], p["generic_plans"], p["custom_plans"]) for p in hot
    ]
