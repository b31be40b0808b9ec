"""The availability feed: what a channel pulls to keep its figures right.

A channel polls `GET /v1/channels/{id}/feed` with the cursor of its last
page and gets every SKU whose figure for it may have changed since, each
once per page at its figure now. The feed follows the ledger by `seq` (the
one event stream), so it needs no state of its own:

- without a cursor it starts with the whole catalogue (SKUs by code),
  remembering the ledger head when it started; once listed, it follows the
  changes after that head. A figure read after the head accounts for every
  change up to it, so nothing committed meanwhile is missed.
- following changes, a page reads the events after the cursor in `seq`
  order (numbered in commit order: no event below the cursor can commit
  later) and names each SKU they touch. A change that may move every SKU's
  figure (a channel created or changed, a location changed or archived)
  lists the whole catalogue again, from that event on.

A SKU may be named when its figure did not change (a superset is safe;
missing one is not).
"""

from __future__ import annotations

from dataclasses import dataclass

from stockd import errors
from stockd.domain.events import ChannelRelisted, sku_of
from stockd.service.cursors import decode_cursor, encode_cursor, number
from stockd.service.pools import ChannelAvailability, channel_figures
from stockd.service.queries import AvailabilityReader, ReadModel

WIDE = frozenset({"channel.created", "channel.changed", "location.changed", "location.archived"})
"""Event types that may change every SKU's figure for a channel."""

SCAN = 1000
"""Most events one page of changes reads."""


@dataclass(frozen=True, slots=True)
class FeedCursor:
    """Where a channel's feed resumes: after ledger event `after`; while the
    catalogue is being listed, after SKU `listed` ("" before the first)."""

    after: int
    listed: str | None = None

    @property
    def listing(self) -> bool:
        return self.listed is not None

    def token(self) -> str:
        """The cursor as the feed hands it out (opaque to a channel)."""
        phase = "catalogue" if self.listing else "changes"
        return encode_cursor(phase, str(self.after), self.listed or "")

    @classmethod
    def parse(cls, token: str) -> FeedCursor:
        """The cursor `token` stands for (400 when the feed did not hand it out)."""
        phase, after, listed = decode_cursor(token, 3)
        if phase not in ("changes", "catalogue"):
            raise errors.BadCursor("the cursor is not one this feed handed out")
        return cls(number(after), listed if phase == "catalogue" else None)


@dataclass(frozen=True, slots=True)
class FeedItem:
    figure: ChannelAvailability
    seq: int
    """The figure accounts for every event up to this one (at least)."""


@dataclass(frozen=True, slots=True)
class FeedPage:
    items: list[FeedItem]
    next: FeedCursor


async def feed_page(
    reads: ReadModel,
    availability: AvailabilityReader,
    channel_id: str,
    cursor: FeedCursor | None,
    limit: int,
) -> FeedPage:
    """The page of `channel_id`'s feed after `cursor` (None: from the start)."""
    if await reads.channel(channel_id) is None:
        raise errors.NotFound(f"channel {channel_id!r} does not exist")
    if cursor is None:
        cursor = FeedCursor(await reads.ledger_head(), "")
    if cursor.listing:
        return await _catalogue(reads, availability, channel_id, cursor, limit)
    touched: dict[str, int] = {}
    end = cursor.after
    for record in await reads.events(cursor.after, max(SCAN, limit)):
        if record.event.type in WIDE:
            if touched:
                break  # this page ends before it; the next lists the catalogue
            restart = FeedCursor(record.seq, "")
            return await _catalogue(reads, availability, channel_id, restart, limit)
        sku = sku_of(record.event)
        if record.event.type == ChannelRelisted.type and record.event.channel != channel_id:
            sku = None  # another channel's repair: nothing changed for this one
        if sku is not None:
            if sku not in touched and len(touched) == limit:
                break
            touched.pop(sku, None)  # keeps the SKUs in the order of their last change
            touched[sku] = record.seq
        end = record.seq
    figures = await channel_figures(reads, availability, channel_id, list(touched))
    items = [FeedItem(figures[sku], seq) for sku, seq in touched.items() if sku in figures]
    return FeedPage(items, FeedCursor(end))


async def _catalogue(
    reads: ReadModel,
    availability: AvailabilityReader,
    channel_id: str,
    cursor: FeedCursor,
    limit: int,
) -> FeedPage:
    """A page of the catalogue listed after `cursor.listed`; after the last,
    the feed follows the changes after `cursor.after`."""
    found = await reads.skus(cursor.listed or None, limit + 1)
    page = [s.sku for s in found[:limit]]
    figures = await channel_figures(reads, availability, channel_id, page)
    items = [FeedItem(figures[sku], cursor.after) for sku in page if sku in figures]
    more = len(found) > limit
    return FeedPage(items, FeedCursor(cursor.after, page[-1] if more else None))
