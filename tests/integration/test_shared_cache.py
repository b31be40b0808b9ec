"""The shared cache (L2): one contract for the fake and real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from stockd.adapters.memory.shared_cache import MemorySharedCache
from stockd.adapters.redis_cache import RedisSharedCache
from stockd.service.ports import SharedCache, SharedCacheDown
from tests.redis_server import RedisServer


@pytest.fixture(params=["memory", "redis"])
async def shared(request: pytest.FixtureRequest) -> AsyncIterator[SharedCache]:
    if request.param == "memory":
        yield MemorySharedCache()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    cache = RedisSharedCache(server.url, namespace="t")
    yield cache
    await cache.close()


async def test_an_entry_is_kept_until_its_sku_is_invalidated(shared):
    assert await shared.put("A", "a", b'{"x":1}', as_of=5, ttl=60)
    await shared.put("A", "c:web", b"web", as_of=5, ttl=60)
    await shared.put("B", "a", b"b", as_of=5, ttl=60)
    assert await shared.get("A", "a") == b'{"x":1}'
    await shared.invalidate({"A": 6}, ttl=60)
    assert await shared.get("A", "a") is None
    assert await shared.get("A", "c:web") is None
    assert await shared.get("B", "a") == b"b"


async def test_an_entry_read_before_the_last_invalidation_is_refused(shared):
    await shared.invalidate({"A": 10}, ttl=60)
    assert not await shared.put("A", "a", b"old", as_of=9, ttl=60)
    assert await shared.get("A", "a") is None
    assert await shared.put("A", "a", b"new", as_of=10, ttl=60)
    await shared.invalidate({"A": 7}, ttl=60)  # an older mark does not lower it
    assert not await shared.put("A", "a", b"old", as_of=9, ttl=60)


async def test_an_entry_expires_by_itself(shared):
    await shared.put("A", "a", b"x", as_of=1, ttl=0.05)
    await shared.put("A", "b", b"y", as_of=1, ttl=60)
    await asyncio.sleep(0.1)
    assert await shared.get("A", "a") is None
    assert await shared.get("A", "b") == b"y"  # a sibling does not prolong it


async def test_invalidating_everything_empties_it(shared):
    await shared.put("A", "a", b"x", as_of=1, ttl=60)
    await shared.invalidate_all()
    assert await shared.get("A", "a") is None


async def test_a_stopped_redis_is_reported_as_down(redis_server):
    cache = RedisSharedCache(redis_server.url, namespace="t", timeout=0.1)
    try:
        await cache.put("A", "a", b"x", as_of=1, ttl=60)
        redis_server.stop()
        with pytest.raises(SharedCacheDown):
            await cache.get("A", "a")
        redis_server.start()
        await cache.put("A", "a", b"y", as_of=1, ttl=60)  # reconnects by itself
        assert await cache.get("A", "a") == b"y"
    finally:
        await cache.close()
