"""Rebalancing by sales velocity on both stores: a fast-selling channel
gains share, a slow one loses it, fixed pools stay; each move is an event;
a dry run moves nothing; `ledger verify` stays clean."""

from __future__ import annotations

from stockd.adapters.postgres.channels import _SALES
from stockd.bootstrap import Container
from stockd.domain.channels import Channel, ChannelKind, PoolShare
from stockd.domain.commands import CreateChannel, LineRequest, PlaceOrder, SetChannelPools
from stockd.service.queries import EventFilter
from stockd.service.rebalancing import RebalancePolicy, RebalanceReport, rebalance_all
from tests.support import ADMIN, T0, seed

CHANNELS = (
    Channel("web", "Own site", ChannelKind.WEB, priority=1),
    Channel("amazon", "Amazon", ChannelKind.MARKETPLACE, priority=2),
    Channel("stores", "Stores", ChannelKind.STORE, priority=3),
)
POOLS = (
    PoolShare("web", share_pct=40),
    PoolShare("amazon", share_pct=40),
    PoolShare("stores", units=10),
)
POLICY = RebalancePolicy(window_seconds=7 * 86_400, threshold_pct=15, max_move_pct=10)


async def sell(backend: Container, channel: str, units: int, n: int) -> None:
    line = (LineRequest("A", units, "x"),)
    await backend.bus.handle(PlaceOrder(f"{channel}-{n}", f"f{n}", line, channel=channel), ADMIN)


async def test_the_fast_channel_gains_share_the_slow_one_loses_it_fixed_pools_stay(
    backend: Container,
) -> None:
    await seed(backend.bus, skus={"A": 0, "B": 0}, locations={"x": 1}, stock={("A", "x"): 100})
    for channel in CHANNELS:
        await backend.bus.handle(CreateChannel(channel), ADMIN)
    await backend.bus.handle(SetChannelPools("A", POOLS), ADMIN)
    # Pools: web 40, amazon 40, stores 10, shared 10 (of 100).
    for n in range(6):
        await sell(backend, "web", 6, n)  # 36 of its 40: 4 free, 10% < 15%
    await sell(backend, "amazon", 4, 99)

    async def run(dry_run: bool = False, skus: list[str] | None = None) -> RebalanceReport:
        report: RebalanceReport = await backend.bus.handle(
            POLICY.command(skus, dry_run=dry_run), ADMIN
        )
        return report

    dry = await run(dry_run=True)
    assert (dry.checked, dry.short, len(dry.moves)) == (1, 1, 1)
    assert not dry.moves[0].applied
    assert await backend.reads.channel_pools("A") == sorted(POOLS, key=lambda p: p.channel)

    done = await run()
    [move] = done.moves
    assert move.applied
    assert move.velocities == {"web": 36, "amazon": 4}
    assert sorted(move.after, key=lambda p: p.channel) == [
        PoolShare("amazon", share_pct=30),
        PoolShare("stores", units=10),
        PoolShare("web", share_pct=50),
    ]
    assert await backend.reads.channel_pools("A") == sorted(move.after, key=lambda p: p.channel)
    [event] = [
        r.event
        for r in await backend.reads.events(
            0, 100, EventFilter(types=frozenset({"channel.rebalanced"}))
        )
    ]
    assert event.sku == "A"  # type: ignore[attr-defined]
    assert event.velocities == {"amazon": 4, "web": 36}  # type: ignore[attr-defined]

    # Now web has 50 - 36 = 14 free of 50 (28%): not short; nothing moves.
    assert (await run()).moves == []
    assert (await run(skus=["B"])).checked == 0  # B has no pools of its own
    assert (await backend.reads.verify()).clean


async def test_the_worker_rebalances_every_sku_with_percentage_pools(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0, "B": 0}, locations={"x": 1}, stock={("A", "x"): 100})
    for channel in CHANNELS:
        await backend.bus.handle(CreateChannel(channel), ADMIN)
    await backend.bus.handle(SetChannelPools("A", POOLS), ADMIN)
    await backend.bus.handle(SetChannelPools("B", (PoolShare("stores", units=5),)), ADMIN)
    for n in range(7):
        await sell(backend, "web", 5, n)  # 35 of 40: 12.5% free
    assert await rebalance_all(backend.bus, backend.reads, POLICY, ADMIN) == 1
    assert await backend.reads.share_pooled_skus(None, 10) == ["A"]


async def test_the_sales_query_reads_the_sales_index(db: Container) -> None:
    """The index's condition is the query's, so the planner may use it (and
    holds through channels, not sales, write no entry to it)."""
    assert db.pool is not None
    async with db.pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + _SALES, ["A"], T0))
    assert "ledger_events_channel_sales" in plan, plan
