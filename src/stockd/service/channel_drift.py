"""Channel drift: what each channel was last sent of a SKU against what
stockd computes for it now (`stockd.service.pools.channel_figures`, the one
formula), found and sent again.

What a channel was sent is recorded per receiver (`ChannelFigureStore`):
each webhook of the channel that wants `availability.changed` records the
figure of a message once it is *delivered* (a failing or dead-lettered one
leaves the channel holding the previous delivered figure), and the feed
records the figures of each page it serves. A recorded figure that differs
from the figure now is drift once the difference is older than the grace
period: the first ledger event since the recorded `seq` that may have moved
the figure is older than `grace_seconds`. A difference no ledger event
explains (stock changed behind the ledger's back) is drift at once: no
webhook or feed would ever carry it.

The repair (`repush`) relists each drifted channel and SKU: a
`channel.relisted` event, which the channel's webhooks answer with its
current figure (a fresh `availability.changed` message, delivered through
the normal path, which records it) and its feed with the SKU on the next
page. The reconciler runs `find_drift` then `repush`; operators see the
findings at `GET /v1/channels/{id}/drift`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncGenerator, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from stockd import errors
from stockd.domain.commands import RelistChannelSkus, Relisting
from stockd.service.context import Context
from stockd.service.feed import WIDE, FeedPage
from stockd.service.messagebus import MessageBus
from stockd.service.pools import channel_figures
from stockd.service.ports import ChannelFigureStore, Clock, LedgerChange, SentFigure, SentKey
from stockd.service.queries import AvailabilityReader, ReadModel

log = logging.getLogger(__name__)

CHUNK = 500
"""Sent figures compared per round trip (memory stays bounded by it)."""
SEQS = 20
"""Most ledger events a finding names."""
RELIST_BATCH = 500
"""Most relistings one transaction records."""


@dataclass(frozen=True, slots=True)
class ChannelDrift:
    """One receiver of a channel holding a figure of a SKU that is not
    stockd's figure now."""

    channel: str
    sku: str
    via: str
    """`webhook` or `feed`."""
    endpoint: str
    """The webhook's id; '' for the feed."""
    sent: int
    """The figure the receiver was last sent (delivered, for a webhook)."""
    now: int
    """The figure stockd computes now (the channel's `advertised` units)."""
    sent_at: datetime
    seq: int
    """The ledger event the sent figure accounts for (at least)."""
    seqs: tuple[int, ...]
    """The first ledger events since `seq` that may have changed the figure
    (the SKU's own and channel/location changes), at most `SEQS`; empty when
    none explains the difference."""
    detail: str

    @property
    def key(self) -> SentKey:
        return (self.channel, self.sku, self.via, self.endpoint)

    @property
    def receiver(self) -> str:
        """`webhook:<id>` or `feed`."""
        return f"webhook:{self.endpoint}" if self.via == "webhook" else "feed"

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "sku": self.sku,
            "via": self.via,
            "webhook_id": self.endpoint or None,
            "sent": self.sent,
            "now": self.now,
            "sent_at": self.sent_at,
            "seq": self.seq,
            "seqs": list(self.seqs),
            "detail": self.detail,
        }


class ChannelDrifts:
    """Finds channel drift and sends drifted figures again."""

    def __init__(
        self,
        store: ChannelFigureStore,
        reads: ReadModel,
        availability: AvailabilityReader,
        bus: MessageBus,
        clock: Clock,
        grace_seconds: float,
    ) -> None:
        self.store = store
        self.reads = reads
        self.availability = availability
        self.bus = bus
        self.clock = clock
        self.grace = timedelta(seconds=grace_seconds)

    async def record_served(self, channel: str, page: FeedPage) -> bool:
        """Record the figures of a feed page served to `channel`; whether it
        could. Never raises: a page that cannot be recorded is served anyway
        (its SKUs then keep their older record, and may show as drift)."""
        if not page.items:
            return True
        figures = [(x.figure.sku, x.figure.advertised, x.seq) for x in page.items]
        try:
            await self.store.record_served(channel, figures, page.next.token(), self.clock.now())
        except Exception:
            log.warning("channel %s: feed page not recorded", channel, exc_info=True)
            return False
        return True

    async def find_drift(
        self,
        channel: str | None = None,
        skus: Collection[str] | None = None,
        *,
        after: SentKey | None = None,
        chunk: int = CHUNK,
    ) -> AsyncGenerator[ChannelDrift, None]:
        """Every drift after `after`, in key order (channel, SKU, via,
        endpoint), of one channel (None: every channel) and of `skus`
        (None: every SKU): reads `chunk` sent figures at a time."""
        cutoff = self.clock.now() - self.grace
        while True:
            rows = await self.store.sent(channel, skus, after, chunk)
            if not rows:
                return
            after = rows[-1].key
            differing = await self._differing(rows)
            if differing:
                since = await self.store.changes_since(
                    {(r.sku, r.seq) for r, _ in differing}, WIDE, SEQS
                )
                for row, now in differing:
                    changes = since.get((row.sku, row.seq), [])
                    if changes and changes[0].at > cutoff:
                        continue  # within the grace period: may still be on its way
                    yield _finding(row, now, changes)
            if len(rows) < chunk:
                return

    async def _differing(self, rows: Sequence[SentFigure]) -> list[tuple[SentFigure, int]]:
        """The rows whose figure is not the figure now, with the figure now."""
        by_channel: dict[str, list[SentFigure]] = defaultdict(list)
        for row in rows:
            by_channel[row.channel].append(row)
        found = []
        for channel, group in by_channel.items():
            try:
                figures = await channel_figures(
                    self.reads, self.availability, channel, sorted({r.sku for r in group})
                )
            except errors.NotFound:
                continue  # the channel is gone: nothing to compare with
            for row in group:
                figure = figures.get(row.sku)
                if figure is not None and figure.advertised != row.figure:
                    found.append((row, figure.advertised))
        return found

    async def repush(self, drifts: Iterable[ChannelDrift], actor: str = "stockd:reconciler") -> int:
        """Relist each drifted channel and SKU (`channel.relisted`, in
        transactions of up to `RELIST_BATCH`); how many channel-SKU pairs.
        Webhooks deliver the current figure on their next round, feeds name
        the SKU on their next page."""
        grouped: dict[tuple[str, str], list[ChannelDrift]] = defaultdict(list)
        for drift in drifts:
            grouped[(drift.channel, drift.sku)].append(drift)
        relistings = [
            Relisting(
                channel,
                sku,
                found[0].sent,
                found[0].now,
                tuple(sorted(d.receiver for d in found)),
            )
            for (channel, sku), found in sorted(grouped.items())
        ]
        done = 0
        for start in range(0, len(relistings), RELIST_BATCH):
            batch = tuple(relistings[start : start + RELIST_BATCH])
            done += int(await self.bus.handle(RelistChannelSkus(batch), Context(actor)))
        return done


def _finding(row: SentFigure, now: int, changes: Sequence[LedgerChange]) -> ChannelDrift:
    receiver = f"webhook {row.endpoint}" if row.via == "webhook" else "the feed"
    held = (
        f"{receiver} was last sent {row.figure} (as of seq {row.seq}, at"
        f" {row.sent_at.isoformat()}); stockd computes {now} now"
    )
    if changes:
        why = f", after ledger events since (first: seq {changes[0].seq})"
    else:
        why = ", and no ledger event since explains it (a change behind the ledger's back)"
    return ChannelDrift(
        row.channel,
        row.sku,
        row.via,
        row.endpoint,
        row.figure,
        now,
        row.sent_at,
        row.seq,
        tuple(c.seq for c in changes),
        held + why,
    )
