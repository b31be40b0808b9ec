"""The ledger watch: a consumer hears that new events committed, without
polling, from another connection (as another process would): stockd's
writers announce the head after each commit (the one-statement hold path
included); a commit nobody announced is found by the watch's recheck."""

from __future__ import annotations

import asyncio
import time

from stockd.adapters.postgres import watch as watching
from stockd.adapters.postgres.watch import APPLICATION, PostgresLedgerWatch
from stockd.bootstrap import Container
from stockd.domain.catalog import Sku
from stockd.domain.commands import CreateSku, LineRequest, Reserve
from tests.support import ADMIN, seed


async def test_a_waiting_consumer_wakes_when_an_event_commits(backend: Container) -> None:
    head = await backend.watch.wait_past(10**9, 0.01)  # the head now (times out)
    waiting = asyncio.create_task(backend.watch.wait_past(head, 30))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    started = time.monotonic()
    await backend.bus.handle(CreateSku(Sku("A", "P", "a")), ADMIN)
    moved = await asyncio.wait_for(waiting, 30)
    assert moved > head
    assert time.monotonic() - started < 5  # woken, not timed out after 30 s


async def test_a_watch_on_its_own_connection_hears_commits_and_never_rollbacks(
    db: Container, database_url: str
) -> None:
    watch = PostgresLedgerWatch(database_url)
    try:
        head = await watch.wait_past(10**9, 0.01)
        assert db.pool is not None
        async with db.pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            await conn.execute(
                "INSERT INTO ledger_events (type, sku, actor, at, data)"
                " VALUES ('sku.created', 'R', 'test', now(), '{}')"
            )
            await tx.rollback()
        assert await watch.wait_past(head, 0.5) == head  # a rolled-back event is never heard
        await db.bus.handle(CreateSku(Sku("A", "P", "a")), ADMIN)
        heard = await watch.wait_past(head, 30)
        [latest] = (await db.reads.events(head, 10))[-1:]
        assert heard == latest.seq
    finally:
        await watch.close()


async def test_a_watch_that_lost_its_connection_catches_up_on_reconnecting(
    db: Container, database_url: str
) -> None:
    watch = PostgresLedgerWatch(database_url)
    try:
        head = await watch.wait_past(10**9, 0.01)
        assert db.pool is not None
        killed = await db.pool.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1",
            APPLICATION,
        )
        assert killed >= 1
        await db.bus.handle(CreateSku(Sku("A", "P", "a")), ADMIN)  # while it is down
        assert await watch.wait_past(head, 10) > head
    finally:
        await watch.close()


async def test_a_hold_written_in_one_statement_is_announced(
    db: Container, database_url: str
) -> None:
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    assert db.settings.group_commit_max_batch > 1  # keyless holds: the one-statement path
    watch = PostgresLedgerWatch(database_url)
    try:
        head = await watch.wait_past(10**9, 0.01)
        waiting = asyncio.create_task(watch.wait_past(head, 30))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await db.bus.handle(Reserve((LineRequest("A", 2),)), ADMIN)
        heard = await asyncio.wait_for(waiting, 30)
        assert heard > head
        # Announced, not found by the recheck a second later.
        assert time.monotonic() - started < watching.RECHECK_SECONDS / 2
        [latest] = (await db.reads.events(head, 100))[-1:]
        assert (latest.event.type, heard) == ("reservation.created", latest.seq)
    finally:
        await watch.close()


async def test_a_commit_nobody_announced_is_found_by_the_recheck(
    db: Container, database_url: str
) -> None:
    watch = PostgresLedgerWatch(database_url)
    try:
        head = await watch.wait_past(10**9, 0.01)
        waiting = asyncio.create_task(watch.wait_past(head, 30))
        await asyncio.sleep(0.05)
        assert db.pool is not None
        # Written outside stockd's units of work: no announcement follows.
        await db.pool.execute(
            "INSERT INTO ledger_events (type, sku, actor, at, data)"
            " VALUES ('sku.created', 'R', 'test', now(), '{}')"
        )
        started = time.monotonic()
        heard = await asyncio.wait_for(waiting, 30)
        assert heard > head
        assert time.monotonic() - started < watching.RECHECK_SECONDS * 3
    finally:
        await watch.close()
