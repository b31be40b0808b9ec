"""The channels' book of a batch of holds decided without a lock: it admits
exactly the holds the pools allow, hold after hold (a room it worked out
before, less what it admitted since, stands in for the room only where that
is enough), and the slack it hands to the guard is never more than the
least room a hold left."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stockd.domain.channels import BYPASS, Channel, PoolShare, SkuChannels, pooled
from stockd.domain.quantities import LevelKey
from stockd.service.channel_book import ChannelBook
from tests.unit.test_channel_pools import splits


@given(
    splits(),
    st.integers(0, 400),
    st.lists(st.tuples(st.integers(0, 7), st.integers(1, 60)), max_size=60),
)
def test_the_book_admits_what_the_pools_allow_hold_after_hold(
    split: tuple[dict[str, Channel], list[PoolShare]],
    total: int,
    holds: list[tuple[int, int]],
) -> None:
    channels, shares = split
    names: list[str | None] = [*channels, None, BYPASS]
    book = ChannelBook(channels, {"A": SkuChannels("A", total, 0, shares, {})})
    stock = SkuChannels("A", total, 0, shares, {})  # worked out anew each time
    least: int | None = None
    for i, quantity in holds:
        through = names[i % len(names)]
        if through is not None and through != BYPASS and not channels[through].active:
            continue  # refused before the pools are asked (`unknown`)
        limited = through != BYPASS and pooled(shares, channels)
        allowed = not limited or quantity <= stock.room(through, channels)
        refused = book.admit(through, {LevelKey("A", "x"): quantity})
        assert (refused is None) == allowed, (through, quantity)
        if allowed:
            if limited:
                left = stock.room(through, channels) - quantity
                least = left if least is None else min(least, left)
            stock = stock.took(through, quantity)
    guards = book.guards()
    if least is not None and guards:
        assert guards[0].slack <= least
