"""The figures channels were sent, in memory (the fake of
`stockd.service.ports.ChannelFigureStore`). The fake keeps no webhook
outbox, so a test says what a webhook had delivered with `delivered`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from stockd.adapters.memory.store import MemoryStore
from stockd.domain.events import sku_of
from stockd.domain.webhooks import AVAILABILITY_CHANGED
from stockd.service.ports import LedgerChange, SentFigure, SentKey


class MemoryChannelFigures:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.rows: dict[SentKey, SentFigure] = {}
        self.failing = False
        """When set, recording a feed page raises (as a locked table would)."""

    async def record_served(
        self,
        channel: str,
        figures: Sequence[tuple[str, int, int]],
        reference: str,
        now: datetime,
    ) -> None:
        if self.failing:
            raise TimeoutError("channel_figures_sent is locked")
        for sku, figure, seq in figures:
            row = SentFigure(channel, sku, "feed", "", figure, seq, now, reference)
            self.rows[row.key] = row

    def delivered(
        self, webhook_id: str, channel: str, sku: str, figure: int, seq: int, now: datetime
    ) -> None:
        """As the PostgreSQL webhook store records a delivered
        `availability.changed` message: the highest `seq` wins."""
        row = SentFigure(
            channel, sku, "webhook", webhook_id, figure, seq, now, f"msg_{webhook_id}_{seq}"
        )
        found = self.rows.get(row.key)
        if found is None or found.seq <= seq:
            self.rows[row.key] = row

    async def sent(
        self,
        channel: str | None,
        skus: Collection[str] | None,
        after: SentKey | None,
        limit: int,
    ) -> list[SentFigure]:
        webhooks = {w.id: w for w, _ in self.store.state.webhooks.values()}

        def follows(row: SentFigure) -> bool:
            if row.via == "feed":
                return True
            w = webhooks.get(row.endpoint)
            return (
                w is not None
                and w.active
                and w.channel == row.channel
                and w.wants(AVAILABILITY_CHANGED)
            )

        found = sorted(
            (
                row
                for key, row in self.rows.items()
                if (channel is None or row.channel == channel)
                and (skus is None or row.sku in skus)
                and (after is None or key > after)
                and follows(row)
            ),
            key=lambda r: r.key,
        )
        return found[:limit]

    async def changes_since(
        self, since: Collection[tuple[str, int]], wide: Collection[str], limit: int
    ) -> dict[tuple[str, int], list[LedgerChange]]:
        events = list(enumerate(self.store.state.events, start=1))
        return {
            (sku, after): [
                LedgerChange(seq, e.at)
                for seq, e in events
                if seq > after and (sku_of(e) == sku or e.type in wide)
            ][:limit]
            for sku, after in since
        }
