"""The read caches (service/read_cache.py) over the in-memory fakes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from stockd.adapters.memory.shared_cache import MemorySharedCache
from stockd.bootstrap import Container
from stockd.domain.commands import Adjust, Change
from stockd.domain.events import Event
from stockd.domain.quantities import LevelKey, State
from stockd.service.read_cache import EVERYTHING, ReadCache, touched
from tests.support import ADMIN, seed


class Loader:
    """Renders a document from the fake store, counting database reads."""

    def __init__(self, c: Container, sku: str) -> None:
        self.c, self.sku, self.calls = c, sku, 0

    async def __call__(self) -> bytes | None:
        self.calls += 1
        levels = await self.c.availability.of(self.sku)
        if levels is None:
            return None
        return str(sum(x.level.quantities.on_hand for x in levels)).encode()


async def adjust(c: Container, sku: str, delta: int) -> list[Event]:
    """Adjust on hand; the events the change wrote."""
    head = await c.reads.ledger_head()
    await c.bus.handle(
        Adjust((Change(LevelKey(sku, "w1"), State.ON_HAND, "count", delta=delta),)), ADMIN
    )
    return [r.event for r in await c.reads.events(head, 100)]


@pytest.fixture
async def running(mem: Container) -> AsyncIterator[tuple[Container, ReadCache, MemorySharedCache]]:
    await seed(mem.bus, skus={"A": 0, "B": 0}, locations={"w1": 1}, stock={("A", "w1"): 5})
    shared = MemorySharedCache()
    cache = ReadCache(mem.reads, mem.watch, mem.clock, ttl=60, shared=shared, idle=0.05)
    task = asyncio.create_task(cache.run())
    await until(lambda: cache.live)
    yield mem, cache, shared
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def settle(cache: ReadCache, c: Container) -> None:
    """Wait until the invalidation has applied everything committed."""
    head = await c.reads.ledger_head()
    await until(lambda: cache.cursor >= head)


async def until(done: Callable[[], bool], within: float = 5.0) -> None:
    for _ in range(int(within / 0.001)):
        if done():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("not reached in time")


async def test_a_second_read_is_answered_from_memory(running):
    c, cache, _ = running
    load = Loader(c, "A")
    assert await cache.get("A", "a", load) == b"5"
    assert await cache.get("A", "a", load) == b"5"
    assert load.calls == 1
    assert (cache.stats.l1_hits, cache.stats.misses) == (1, 1)


async def test_an_event_about_the_sku_drops_its_entries_and_only_theirs(running):
    c, cache, _ = running
    a, b = Loader(c, "A"), Loader(c, "B")
    await cache.get("A", "a", a)
    await cache.get("B", "a", b)
    await adjust(c, "A", 3)
    await settle(cache, c)
    assert await cache.get("A", "a", a) == b"8"
    assert await cache.get("B", "a", b) == b"0"
    assert (a.calls, b.calls) == (2, 1)


async def test_a_write_through_this_process_is_read_back_at_once(running):
    c, cache, _ = running
    load = Loader(c, "A")
    await cache.get("A", "a", load)
    # No waiting for the invalidation loop: the commit tells the cache.
    cache.committed(await adjust(c, "A", 1))
    assert await cache.get("A", "a", load) == b"6"


async def test_a_load_overtaken_by_an_invalidation_is_not_kept(running):
    c, cache, _ = running
    started, release = asyncio.Event(), asyncio.Event()

    async def slow() -> bytes:
        started.set()
        await release.wait()
        return b"old"

    pending = asyncio.create_task(cache.get("A", "a", slow))
    await started.wait()
    await adjust(c, "A", 1)
    await settle(cache, c)
    release.set()
    assert await pending == b"old"  # concurrent with the change: either is right
    assert await cache.get("A", "a", Loader(c, "A")) == b"6"  # but it was not kept


async def test_concurrent_misses_share_one_load(running):
    c, cache, _ = running
    load = Loader(c, "A")
    found = await asyncio.gather(*(cache.get("A", "a", load) for _ in range(20)))
    assert set(found) == {b"5"}
    assert load.calls == 1


async def test_nodes_share_entries_through_l2_and_its_invalidation(running):
    c, cache, shared = running
    other = ReadCache(c.reads, c.watch, c.clock, ttl=60, shared=shared, idle=0.05)
    task = asyncio.create_task(other.run())
    try:
        await until(lambda: other.live)
        await cache.get("A", "a", Loader(c, "A"))
        load = Loader(c, "A")
        assert await other.get("A", "a", load) == b"5"
        assert (load.calls, other.stats.l2_hits) == (0, 1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_l2_refuses_an_entry_read_before_the_last_invalidation():
    shared = MemorySharedCache()
    await shared.invalidate({"A": 10}, ttl=60)
    assert not await shared.put("A", "a", b"old", as_of=9, ttl=60)
    assert await shared.put("A", "a", b"new", as_of=10, ttl=60)
    assert await shared.get("A", "a") == b"new"


async def test_reads_go_on_from_the_database_while_l2_is_down(running):
    c, cache, shared = running
    shared.down = True
    load = Loader(c, "A")
    assert await cache.get("A", "a", load) == b"5"
    assert cache.stats.fallbacks >= 1
    assert await cache.get("A", "a", load) == b"5"  # L1 still serves
    assert load.calls == 1


async def test_l2_is_emptied_before_reuse_when_it_missed_an_invalidation(running):
    c, cache, shared = running
    cache.retry_seconds = 0.05
    await cache.get("A", "a", Loader(c, "A"))  # in L1 and L2
    shared.down = True
    await adjust(c, "A", 4)
    await settle(cache, c)  # the invalidation could not reach L2
    shared.down = False
    await asyncio.sleep(0.2)  # the cache tries L2 again, emptying it first
    assert await shared.get("A", "a") is None
    assert await cache.get("A", "a", Loader(c, "A")) == b"9"


async def test_the_cache_serves_only_while_its_invalidation_runs(mem):
    await seed(mem.bus, skus={"A": 0}, locations={"w1": 1}, stock={("A", "w1"): 5})
    cache = ReadCache(mem.reads, mem.watch, mem.clock, ttl=60)
    load = Loader(mem, "A")
    await cache.get("A", "a", load)
    await cache.get("A", "a", load)
    assert (load.calls, cache.stats.bypassed) == (2, 2)


def test_which_events_drop_which_entries(mem):
    from stockd.domain.events import LocationChanged, OrderPlaced, SkuChanged

    assert touched(LocationChanged.__new__(LocationChanged)) == EVERYTHING
    assert touched(OrderPlaced.__new__(OrderPlaced)) is None
    changed = SkuChanged.__new__(SkuChanged)
    object.__setattr__(changed, "sku", "A")
    assert touched(changed) == "A"


async def test_a_consumer_told_of_an_event_reads_what_it_left(running):
    c, cache, _ = running
    load = Loader(c, "A")
    await cache.get("A", "a", load)
    cache.idle = 60  # the invalidation loop alone would be late
    await adjust(c, "A", 2)
    head = await c.reads.ledger_head()
    await cache.through(head)
    assert cache.cursor >= head
    assert await cache.get("A", "a", load) == b"7"


async def test_after_a_local_commit_l2_is_read_past_until_invalidation_catches_up(running):
    c, cache, shared = running
    cache.idle = 60
    await cache.get("A", "a", Loader(c, "A"))  # 5, in L1 and L2
    cache.committed(await adjust(c, "A", 1))
    # The invalidation has not run yet: L2 still has the old answer.
    assert await shared.get("A", "a") == b"5"
    assert await cache.get("A", "a", Loader(c, "A")) == b"6"


async def test_far_behind_without_l2_everything_is_dropped_without_reading_events(mem):
    from stockd.service.read_cache import SKIP_AFTER

    await seed(mem.bus, skus={"A": 0, "B": 0}, locations={"w1": 1}, stock={("A", "w1"): 5})
    cache = ReadCache(mem.reads, mem.watch, mem.clock, ttl=60, idle=0.05)
    task = asyncio.create_task(cache.run())
    try:
        await until(lambda: cache.live)
        await cache.get("B", "a", Loader(mem, "B"))
        for _ in range(SKIP_AFTER + 1):
            await adjust(mem, "A", 1)
        await settle(cache, mem)
        assert cache.size == 0  # B's answer went too: cheaper than reading the events
        assert await cache.get("A", "a", Loader(mem, "A")) == str(6 + SKIP_AFTER).encode()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_local_commit_drops_only_the_answers_of_what_it_changed(running):
    c, cache, _ = running
    cache.idle = 60  # only the commit itself may drop anything
    await cache.get("A", "a", Loader(c, "A"))
    other = Loader(c, "B")
    await cache.get("B", "a", other)
    cache.committed(await adjust(c, "A", 1))
    assert await cache.get("A", "a", Loader(c, "A")) == b"6"
    assert await cache.get("B", "a", other) == b"0"
    assert other.calls == 1  # B's answer stayed in L1
    cache.committed([])  # a commit that wrote nothing drops nothing
    assert await cache.get("B", "a", other) == b"0"
    assert other.calls == 1
