"""Channel limits on a batch of holds.

A hold that names a channel may take, of each SKU, what the channel's pools
let it (`SkuChannels.room`); one that names none, only the shared pool; one
that names `*` (admins), anything the levels have. The book reads each
SKU's stock as the channels see it once and counts each accepted hold in,
so later holds of the batch see it. Two ways:

- under the SKU's row lock (`load`): two batches decide on one SKU's
  channels one after the other; what it decides is what the ledger writer
  then counts (`channel_stock`, changed in SQL by the events' deltas).
- as last committed (`snapshot`), for group commit's one-statement write:
  the book keeps, per pooled SKU, what it read and the least room a hold
  left, and `guards` hands them to the store, which writes the batch only
  if the holds committed since took no more than that room
  (`ports.ChannelGuard`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from stockd import errors
from stockd.domain.channels import BYPASS, Channel, SkuChannels, pooled
from stockd.domain.quantities import LevelKey
from stockd.service.ports import ChannelGuard, UnitOfWork
from stockd.service.queries import ReadModel

UNBOUNDED = 2**62
"""The slack of a SKU only bypassing holds took: no room to keep."""

MAX_CHANNELS = 10_000
"""Channels read at once: every channel's default share may apply."""


class ChannelBook:
    def __init__(self, channels: Mapping[str, Channel], stock: Mapping[str, SkuChannels]) -> None:
        self.channels = channels
        self.stock = dict(stock)
        self._read: dict[str, SkuChannels] = {}
        self._slack: dict[str, int] = {}

    @classmethod
    async def load(cls, uow: UnitOfWork, skus: Collection[str]) -> ChannelBook:
        """The book of `skus`, their rows locked. Every channel is read: any
        may hold a pool, by its own or by its default share."""
        channels = await uow.channels.all()
        if not channels:
            return cls(channels, {})  # no channel, no pool: nothing to lock
        return cls(channels, await uow.channels.stock(skus, lock=True))

    @classmethod
    async def snapshot(cls, uow: UnitOfWork, skus: Collection[str]) -> ChannelBook:
        """The book of `skus` as last committed, locking nothing: for holds
        decided without a lock, written under `guards`."""
        channels, stock = await uow.channels.book(skus)
        return cls(channels, stock if channels else {})

    @classmethod
    async def read(cls, reads: ReadModel, skus: Collection[str]) -> ChannelBook:
        """The book of `skus` as last committed, locking nothing (for quotes)."""
        channels = {c.id: c for c in await reads.channels(None, MAX_CHANNELS)}
        if not channels:
            return cls(channels, {})
        return cls(channels, await reads.channel_stock(skus))

    @classmethod
    async def check(
        cls, uow: UnitOfWork, channel: str | None, units: Mapping[LevelKey, int]
    ) -> None:
        """Refuse `units` through `channel` unless the pools allow them (for
        a request decided on its own, its levels already locked)."""
        book = await cls.load(uow, {key.sku for key in units})
        problem = book.unknown(channel) or book.refusal(channel, units)
        if problem is not None:
            raise problem

    def unknown(self, channel: str | None) -> errors.StockdError | None:
        """The refusal of a channel no hold may name, if it is one."""
        if channel is None or channel == BYPASS:
            return None
        found = self.channels.get(channel)
        if found is None:
            return errors.UnknownReference(errors.Issue(f"unknown channel {channel!r}", "channel"))
        if not found.active:
            return errors.InvalidRequest(
                errors.Issue(f"channel {channel!r} is not active: it sells nothing", "channel")
            )
        return None

    def refusal(
        self, channel: str | None, units: Mapping[LevelKey, int]
    ) -> errors.ChannelShort | None:
        """Why the pools refuse `units` through `channel`, or None."""
        return self.refusal_of(channel, _by_sku(units))

    def refusal_of(
        self, channel: str | None, units: Mapping[str, int]
    ) -> errors.ChannelShort | None:
        """`refusal`, with the units summed per SKU."""
        if channel == BYPASS:
            return None
        short = [
            errors.ChannelLine(sku, asked, room)
            for sku, asked in sorted(units.items())
            if (stock := self.stock.get(sku)) is not None
            and pooled(stock.shares, self.channels)
            and asked > (room := stock.room(channel, self.channels))
        ]
        if not short:
            return None
        through = f"channel {channel!r}" if channel else "the shared pool (no channel named)"
        return errors.ChannelShort(
            f"{through} may not take "
            + ", ".join(f"{x.requested} of {x.sku} (room for {x.room})" for x in short),
            channel=channel,
            lines=short,
        )

    def take(self, channel: str | None, units: Mapping[LevelKey, int]) -> None:
        """Count an accepted hold in; keep the least room a hold through a
        channel (or none) left on each pooled SKU."""
        for sku, q in _by_sku(units).items():
            if (stock := self.stock.get(sku)) is not None:
                if pooled(stock.shares, self.channels):
                    self._read.setdefault(sku, stock)  # as read: what `guards` compare with
                    if channel != BYPASS:
                        slack = stock.room(channel, self.channels) - q
                        self._slack[sku] = min(self._slack.get(sku, slack), slack)
                    else:
                        self._slack.setdefault(sku, UNBOUNDED)
                self.stock[sku] = stock.took(channel, q)

    def guards(self) -> list[ChannelGuard]:
        """What the holds taken were decided on, per pooled SKU (see
        `ChannelGuard`): for writing them without a lock."""
        return [
            ChannelGuard(sku, read.for_sale, read.held, read.outstanding, self._slack[sku])
            for sku, read in sorted(self._read.items())
        ]


def _by_sku(units: Mapping[LevelKey, int]) -> dict[str, int]:
    total: dict[str, int] = {}
    for key, q in units.items():
        total[key.sku] = total.get(key.sku, 0) + q
    return total
