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
from stockd.domain.catalog import Sku
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
        self._taken: dict[str, int] = {}
        """Units admitted per SKU so far."""
        self._known: dict[tuple[str, str | None], tuple[int, int]] = {}
        """Per SKU and channel, the room last worked out and `_taken` then."""

    @classmethod
    async def load(
        cls, uow: UnitOfWork, skus: Collection[str], levels: Collection[LevelKey] = ()
    ) -> ChannelBook:
        """The book of `skus`, their rows locked (after `levels`, if given).
        Every channel is read: any may hold a pool, by its own or by its
        default share."""
        channels = await uow.channels.all()
        if not channels:
            return cls(channels, {})  # no channel, no pool: nothing to lock
        if levels:
            await uow.levels.lock(sorted(levels))
        return cls(channels, await uow.channels.stock(skus, lock=True))

    @classmethod
    async def snapshot(
        cls, uow: UnitOfWork, skus: Collection[str]
    ) -> tuple[ChannelBook, dict[str, Sku]]:
        """The book of `skus` as last committed, locking nothing (for holds
        decided without a lock, written under `guards`), and the SKUs, read
        with it."""
        found = await uow.channels.book(skus)
        return cls(found.channels, found.stock if found.channels else {}), found.skus

    @classmethod
    async def read(cls, reads: ReadModel, skus: Collection[str]) -> ChannelBook:
        """The book of `skus` as last committed, locking nothing (for quotes)."""
        channels = {c.id: c for c in await reads.channels(None, MAX_CHANNELS)}
        if not channels:
            return cls(channels, {})
        return cls(channels, await reads.channel_stock(skus))

    @classmethod
    async def check(
        cls,
        uow: UnitOfWork,
        channel: str | None,
        units: Mapping[LevelKey, int],
        *,
        locked: bool = False,
    ) -> None:
        """Refuse `units` through `channel` unless the pools allow them (for
        a request decided on its own). Its levels are locked first, unless
        the caller has (`locked`): levels before the SKUs' rows, the order a
        batch of holds takes them in (the other order could deadlock)."""
        book = await cls.load(uow, {key.sku for key in units}, levels=() if locked else units)
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
        rooms = self._rooms(channel, units)
        return self._short(channel, units, rooms)

    def admit(
        self, channel: str | None, units: Mapping[LevelKey, int]
    ) -> errors.ChannelShort | None:
        """`refusal`; when there is none, the hold is counted in (each SKU's
        room worked out once), keeping the least room a hold left on each
        pooled SKU for `guards`."""
        by_sku = _by_sku(units)
        rooms = self._rooms(channel, by_sku)
        refused = self._short(channel, by_sku, rooms)
        if refused is not None:
            return refused
        for sku, q in by_sku.items():
            if (stock := self.stock.get(sku)) is None:
                continue
            if sku in rooms:
                self._read.setdefault(sku, stock)  # as read: what `guards` compare with
                slack = rooms[sku] - q
                self._slack[sku] = min(self._slack.get(sku, slack), slack)
            elif channel == BYPASS and pooled(stock.shares, self.channels):
                self._read.setdefault(sku, stock)
                self._slack.setdefault(sku, UNBOUNDED)
            self.stock[sku] = stock.took(channel, q)
            self._taken[sku] = self._taken.get(sku, 0) + q
        return None

    def _rooms(self, channel: str | None, units: Mapping[str, int]) -> dict[str, int]:
        """The room `channel` has on each of these SKUs that is pooled (none
        for `*`: it ignores the pools) — at least the units asked, or else
        exactly. A unit held through any channel (or none) lowers a
        channel's room by at most one (a property test holds the pools to
        it), so the room last worked out, less the units admitted since, is
        a room the hold surely has: when that is enough for the units asked,
        it stands in for the room (a slack that low is only safer); else the
        room is worked out anew, and a refusal names it exactly. A batch of
        holds on one SKU through a few channels then resolves its pools a
        few times, not once per hold."""
        if channel == BYPASS:
            return {}
        rooms = {}
        for sku, asked in units.items():
            stock = self.stock.get(sku)
            if stock is None:
                continue
            taken = self._taken.get(sku, 0)
            known = self._known.get((sku, channel))
            if known is not None and (least := known[0] - (taken - known[1])) >= asked:
                rooms[sku] = least
            elif pooled(stock.shares, self.channels):
                room = stock.room(channel, self.channels)
                self._known[(sku, channel)] = (room, taken)
                rooms[sku] = room
        return rooms

    def _short(
        self, channel: str | None, units: Mapping[str, int], rooms: Mapping[str, int]
    ) -> errors.ChannelShort | None:
        short = [
            errors.ChannelLine(sku, asked, rooms[sku])
            for sku, asked in sorted(units.items())
            if sku in rooms and asked > rooms[sku]
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
