"""The in-memory ledger watch: told by the fake store's commits."""

from __future__ import annotations

import asyncio
import time


class MemoryLedgerWatch:
    def __init__(self) -> None:
        self.head = 0
        self._moved = asyncio.Event()

    def committed(self, head: int) -> None:
        """The store committed up to `head`."""
        if head > self.head:
            self.head = head
            self._moved.set()

    async def wait_past(self, seq: int, within: float) -> int:
        deadline = time.monotonic() + within
        while self.head <= seq:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._moved.clear()
            try:
                await asyncio.wait_for(self._moved.wait(), left)
            except TimeoutError:
                break
        return self.head

    async def close(self) -> None:
        self._moved.set()
