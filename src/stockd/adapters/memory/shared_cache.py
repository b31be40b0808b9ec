"""The shared cache (L2) in memory, for unit tests: `RedisSharedCache`'s rules
(generations, per-entry expiry, invalidation marks) without Redis; `down`
makes every call fail as an unreachable Redis would."""

from __future__ import annotations

import time
from collections.abc import Mapping

from stockd.service.ports import SharedCacheDown


class MemorySharedCache:
    def __init__(self) -> None:
        self.down = False
        self.gen = 0
        self._entries: dict[tuple[int, str, str], tuple[float, bytes]] = {}
        self._marks: dict[tuple[int, str], tuple[float, int]] = {}

    async def get(self, sku: str, field: str) -> bytes | None:
        self._check()
        found = self._entries.get((self.gen, sku, field))
        return found[1] if found is not None and found[0] > time.monotonic() else None

    async def put(self, sku: str, field: str, value: bytes, as_of: int, ttl: float) -> bool:
        self._check()
        mark = self._marks.get((self.gen, sku))
        if mark is not None and mark[0] > time.monotonic() and mark[1] > as_of:
            return False
        self._entries[(self.gen, sku, field)] = (time.monotonic() + ttl, value)
        return True

    async def invalidate(self, marks: Mapping[str, int], ttl: float) -> None:
        self._check()
        now = time.monotonic()
        for sku, seq in marks.items():
            old = self._marks.get((self.gen, sku))
            if old is None or old[0] <= now or old[1] < seq:
                self._marks[(self.gen, sku)] = (now + ttl, seq)
            for key in [k for k in self._entries if k[:2] == (self.gen, sku)]:
                del self._entries[key]

    async def invalidate_all(self) -> None:
        self._check()
        self.gen += 1

    async def close(self) -> None:
        pass

    def _check(self) -> None:
        if self.down:
            raise SharedCacheDown("the in-memory shared cache is down (test)")
