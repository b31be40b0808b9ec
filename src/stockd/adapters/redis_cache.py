"""The shared read cache (L2) in Redis: `SharedCache` over `redis.asyncio`.

Layout, under a namespace (`STOCKD_CACHE_NAMESPACE`, so several stockd
installations can share one Redis):

- `<ns>:gen` — the generation; `invalidate_all` increments it, which orphans
  every entry at once (they expire by their TTL);
- `<ns>:<gen>:<sku>` — a hash of the SKU's cached documents, one field per
  read, each value `<expiry, Unix ms>|<document>` (an entry expires by
  itself; the hash's own TTL only frees the memory);
- `<ns>:<gen>:inv:<sku>` — the ledger `seq` of the SKU's last invalidation,
  kept for the TTL: a document read before it (`as_of` below it) is refused.

Each operation is one Lua script, so a store and an invalidation of the
same SKU never interleave. One Redis server (or a primary), not a cluster:
the scripts compute their keys. Every call is bounded by `timeout`; any
failure is `SharedCacheDown`, and the caller reads the database instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from stockd.service.ports import SharedCacheDown

_GET = """
local g = redis.call('GET', KEYS[1]) or '0'
local v = redis.call('HGET', ARGV[1] .. g .. ':' .. ARGV[2], ARGV[3])
if not v then return nil end
local sep = string.find(v, '|', 1, true)
local t = redis.call('TIME')
if tonumber(string.sub(v, 1, sep - 1)) <= t[1] * 1000 + math.floor(t[2] / 1000) then
    return nil
end
return string.sub(v, sep + 1)
"""

_PUT = """
local g = redis.call('GET', KEYS[1]) or '0'
local base = ARGV[1] .. g .. ':'
local mark = redis.call('GET', base .. 'inv:' .. ARGV[2])
if mark and tonumber(mark) > tonumber(ARGV[5]) then return 0 end
local t = redis.call('TIME')
local expires = t[1] * 1000 + math.floor(t[2] / 1000) + tonumber(ARGV[6])
local k = base .. ARGV[2]
redis.call('HSET', k, ARGV[3], expires .. '|' .. ARGV[4])
redis.call('PEXPIRE', k, ARGV[6])
return 1
"""

_INVALIDATE = """
local g = redis.call('GET', KEYS[1]) or '0'
local base = ARGV[1] .. g .. ':'
for i = 3, #ARGV, 2 do
    local mk = base .. 'inv:' .. ARGV[i]
    local seq = tonumber(ARGV[i + 1])
    if seq > tonumber(redis.call('GET', mk) or '0') then
        redis.call('SET', mk, seq, 'PX', ARGV[2])
    end
    redis.call('DEL', base .. ARGV[i])
end
return 1
"""


class RedisSharedCache:
    def __init__(self, url: str, *, namespace: str = "stockd", timeout: float = 0.2) -> None:
        self.timeout = timeout
        self.prefix = f"{namespace}:"
        self.gen_key = f"{namespace}:gen"
        self.redis = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
        )
        self._get = self.redis.register_script(_GET)
        self._put = self.redis.register_script(_PUT)
        self._invalidate = self.redis.register_script(_INVALIDATE)

    async def get(self, sku: str, field: str) -> bytes | None:
        found = await self._call(self._get(keys=[self.gen_key], args=[self.prefix, sku, field]))
        return None if found is None else bytes(found)

    async def put(self, sku: str, field: str, value: bytes, as_of: int, ttl: float) -> bool:
        args: list[bytes | str | int] = [
            self.prefix,
            sku,
            field,
            value,
            as_of,
            max(1, round(ttl * 1000)),
        ]
        return bool(await self._call(self._put(keys=[self.gen_key], args=args)))

    async def invalidate(self, marks: Mapping[str, int], ttl: float) -> None:
        if not marks:
            return
        args: list[bytes | str | int] = [self.prefix, max(1, round(ttl * 1000))]
        for sku, seq in marks.items():
            args += [sku, seq]
        await self._call(self._invalidate(keys=[self.gen_key], args=args))

    async def invalidate_all(self) -> None:
        await self._call(self.redis.incr(self.gen_key))

    async def ping(self) -> bool:
        try:
            return bool(await self._call(self.redis.ping()))
        except SharedCacheDown:
            return False

    async def close(self) -> None:
        await self.redis.aclose()

    async def _call(self, pending: Any) -> Any:
        try:
            return await asyncio.wait_for(pending, self.timeout * 2)
        except (RedisError, OSError, TimeoutError) as e:
            raise SharedCacheDown(f"{type(e).__name__}: {e}") from e
