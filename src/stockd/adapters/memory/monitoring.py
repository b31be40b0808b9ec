"""Fakes of the monitoring ports: hold figures kept in dicts, and the
store's figures worked out from the in-memory store."""

from __future__ import annotations

from collections import Counter

from stockd.adapters.memory.store import MemoryStore
from stockd.service.ports import StoreFigures


class MemoryHoldMetrics:
    def __init__(self) -> None:
        self.refusals: Counter[str] = Counter()
        self.batches: list[int] = []

    def refused(self, code: str) -> None:
        self.refusals[code] += 1

    def batch(self, size: int) -> None:
        self.batches.append(size)


class MemoryFigures:
    """The fake keeps no relay, webhook outbox or reconciliations: their
    figures are empty."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    async def figures(self) -> StoreFigures:
        state = self.store.state
        return StoreFigures(
            ledger_head=len(state.events),
            relay_cursors={},
            webhook_cursors={},
            deliveries={},
            oversold_units=sum(max(lv.floor - lv.available, 0) for lv in state.levels.values()),
            discrepancy_rate=None,
        )
