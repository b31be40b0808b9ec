"""Channel pools: resolving shares to units, the waterfall, the advertised
figure. Examples, and properties over random splits and random buyers."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockd.domain.channels import (
    Channel,
    ChannelKind,
    Pools,
    PoolShare,
    SkuChannels,
    advertised,
    allowances,
    check_shares,
    largest_remainder,
    rebalanced,
    resolve_pools,
    short_of_pool,
)

WEB = Channel("web", "Own site", ChannelKind.WEB, priority=1)
AMAZON = Channel("amazon", "Amazon", ChannelKind.MARKETPLACE, priority=2, safety_buffer_pct=5)
STORES = Channel("stores", "Stores", ChannelKind.STORE, priority=3)
CHANNELS = {c.id: c for c in (WEB, AMAZON, STORES)}
SPLIT = [
    PoolShare("web", share_pct=50),
    PoolShare("amazon", share_pct=30),
    PoolShare("stores", units=20),
]


def test_fixed_pools_first_then_percentages_of_the_whole() -> None:
    assert resolve_pools(100, SPLIT, CHANNELS) == Pools({"stores": 20, "web": 50, "amazon": 30}, 0)
    assert resolve_pools(200, SPLIT, CHANNELS) == Pools(
        {"stores": 20, "web": 100, "amazon": 60}, 20
    )


def test_when_units_run_short_fixed_pools_stay_and_percentages_shrink_together() -> None:
    # 60 units: stores keep 20; web and amazon ask 30 + 18 of the 40 left,
    # so both shrink by 40/48: exactly 25 and 15.
    assert resolve_pools(60, SPLIT, CHANNELS) == Pools({"stores": 20, "web": 25, "amazon": 15}, 0)
    # 50: 30 left for 25 + 15 asked -> scaled by 30/40, exactly 18.75 and 11.25.
    assert resolve_pools(50, SPLIT, CHANNELS) == Pools({"stores": 20, "web": 19, "amazon": 11}, 0)
    assert resolve_pools(5, SPLIT, CHANNELS) == Pools({"stores": 5, "web": 0, "amazon": 0}, 0)


def test_rounding_never_makes_or_loses_a_unit() -> None:
    thirds = [PoolShare(c, share_pct=33) for c in CHANNELS]
    # 3.3 each and 0.1 shared: the unit left over goes to the most important.
    assert resolve_pools(10, thirds, CHANNELS) == Pools({"web": 4, "amazon": 3, "stores": 3}, 0)


def test_an_inactive_channels_pool_goes_back_to_the_shared_pool() -> None:
    channels = {**CHANNELS, "stores": Channel("stores", "Stores", priority=3, active=False)}
    assert resolve_pools(100, SPLIT, channels) == Pools({"web": 50, "amazon": 30}, 20)


def test_a_sku_without_pools_uses_the_channels_default_shares() -> None:
    channels = {
        "web": Channel("web", "Own site", priority=1, default_share_pct=60),
        "amazon": Channel("amazon", "Amazon", priority=2),
    }
    assert resolve_pools(10, [], channels) == Pools({"web": 6}, 4)


def test_shares_above_100_percent_or_twice_the_same_channel_are_refused() -> None:
    assert check_shares(SPLIT) == []
    assert check_shares([PoolShare("web", share_pct=70), PoolShare("amazon", share_pct=40)]) == [
        "the shares add up to 110%, more than 100%"
    ]
    assert check_shares([PoolShare("web", units=1), PoolShare("web", units=2)]) == [
        "channel 'web' has more than one pool"
    ]
    with pytest.raises(ValueError, match="either share_pct or units"):
        PoolShare("web", share_pct=10, units=3)
    with pytest.raises(ValueError, match="must not be negative"):
        PoolShare("web", units=-1)


def test_a_channel_draws_on_its_pool_then_shared_then_lower_priorities_least_important_first() -> (
    None
):
    pools = Pools({"web": 50, "amazon": 30, "stores": 20}, 10)
    # web has 65 out: 50 of its pool, all 10 shared, 5 of stores' pool.
    found = allowances(pools, CHANNELS, {"web": 65})
    assert (found["web"].free, found["web"].shared_free, found["web"].borrowable) == (0, 0, 45)
    assert found["amazon"].sellable == 30 + 0 + 15  # its pool, and stores' (lower) only
    assert found["stores"].sellable == 15  # nothing from the more important pools


def test_without_waterfall_a_channel_stops_at_the_shared_pool() -> None:
    channels = {**CHANNELS, "web": Channel("web", "Own site", priority=1, waterfall=False)}
    found = allowances(Pools({"web": 5, "amazon": 30, "stores": 20}, 0), channels, {})
    assert found["web"].sellable == 5
    assert found["amazon"].sellable == 50


def test_channels_of_the_same_priority_never_borrow_from_each_other() -> None:
    channels = {
        "a": Channel("a", "A", priority=2),
        "b": Channel("b", "B", priority=2),
    }
    found = allowances(Pools({"a": 5, "b": 5}, 0), channels, {})
    assert (found["a"].sellable, found["b"].sellable) == (5, 5)


def test_a_less_important_channels_units_on_the_shared_pool_are_never_displaced() -> None:
    # `low` took the shared unit; then `top` borrowed one from `mid`'s pool.
    # The counters do not say who came first: the placement must still find
    # `low` on the shared pool (it has nowhere else) and `top` on `mid`'s.
    channels = {
        "top": Channel("top", "Top", priority=1),
        "mid": Channel("mid", "Mid", priority=2),
        "low": Channel("low", "Low", priority=3),
    }
    found = allowances(Pools({"mid": 5}, 1), channels, {"low": 1, "top": 1})
    assert (found["mid"].free, found["top"].shared_free) == (4, 0)
    assert found["low"].sellable == 0


def test_holds_without_a_channel_use_the_shared_pool_only() -> None:
    found = allowances(Pools({"web": 5}, 3), {"web": WEB}, {}, unchanneled=2)
    assert found["web"].sellable == 5 + 1


def test_the_advertised_figure_is_buffered_and_never_above_available() -> None:
    assert advertised(100, AMAZON, available=200) == 95
    assert advertised(19, AMAZON, available=200) == 18  # rounded down
    assert advertised(100, AMAZON, available=40) == 40
    assert advertised(100, WEB, available=-3) == 0


# -- properties -----------------------------------------------------------------


@st.composite
def splits(draw: st.DrawFn) -> tuple[dict[str, Channel], list[PoolShare]]:
    n = draw(st.integers(1, 6))
    channels = {
        f"c{i}": Channel(
            f"c{i}",
            f"C{i}",
            priority=draw(st.integers(1, 4)),
            waterfall=draw(st.booleans()),
            active=draw(st.booleans()) or i == 0,
        )
        for i in range(n)
    }
    shares = []
    left_pct = 100
    for cid in channels:
        kind = draw(st.sampled_from(["pct", "units", "none"]))
        if kind == "pct":
            pct = draw(st.integers(0, left_pct))
            left_pct -= pct
            shares.append(PoolShare(cid, share_pct=pct))
        elif kind == "units":
            shares.append(PoolShare(cid, units=draw(st.integers(0, 500))))
    return channels, shares


@given(splits(), st.integers(-5, 2_000))
def test_pools_always_add_up_to_the_total(
    split: tuple[dict[str, Channel], list[PoolShare]], total: int
) -> None:
    channels, shares = split
    pools = resolve_pools(total, shares, channels)
    assert pools.total == max(total, 0)
    assert all(units >= 0 for units in pools.units.values())
    assert pools.shared >= 0
    fixed = sum(s.units or 0 for s in shares if s.units is not None and channels[s.channel].active)
    for share in shares:
        if share.share_pct is not None and channels[share.channel].active and fixed == 0:
            quota = Fraction(max(total, 0) * share.share_pct, 100)
            assert quota - 1 < pools.units[share.channel] < quota + 1


@given(st.lists(st.fractions(0, 50), min_size=1, max_size=8))
def test_largest_remainder_rounds_each_quota_down_or_up(quotas: list[Fraction]) -> None:
    whole = sum(quotas, Fraction(0))
    quotas.append(whole.__ceil__() - whole)  # make them add up to a whole number
    rounded = largest_remainder(quotas, whole.__ceil__())
    assert sum(rounded) == whole.__ceil__()
    assert all(q - 1 < r < q + 1 for q, r in zip(quotas, rounded, strict=True))


@given(
    splits(),
    st.integers(0, 300),
    st.lists(st.tuples(st.integers(0, 5), st.integers(1, 40)), max_size=60),
)
def test_buyers_within_their_allowance_never_take_a_more_important_channels_units(
    split: tuple[dict[str, Channel], list[PoolShare]],
    total: int,
    buys: list[tuple[int, int]],
) -> None:
    channels, shares = split
    pools = resolve_pools(total, shares, channels)
    active = sorted((c for c in channels.values() if c.active), key=lambda c: c.rank)
    outstanding: dict[str, int] = {}
    for who, quantity in buys:
        buyer = active[who % len(active)]
        found = allowances(pools, channels, outstanding)
        if quantity > found[buyer.id].sellable:
            continue  # refused, as a hold would be
        before = found
        outstanding[buyer.id] = outstanding.get(buyer.id, 0) + quantity
        after = allowances(pools, channels, outstanding)
        held = sum(outstanding.values())
        assert sum(a.free for a in after.values()) + after[buyer.id].shared_free == total - held
        for c in active:
            if c.priority <= buyer.priority and c.id != buyer.id:
                # As or more important: its own pool untouched by this buyer.
                assert after[c.id].free == before[c.id].free


# -- rebalancing ------------------------------------------------------------------


def test_rebalancing_follows_velocity_within_the_move_limit_and_leaves_fixed_pools() -> None:
    shares = [
        PoolShare("web", share_pct=40),
        PoolShare("amazon", share_pct=40),
        PoolShare("stores", units=10),
    ]
    moved = rebalanced(shares, {"web": 90, "amazon": 10}, CHANNELS, max_move_pct=10)
    assert moved == (
        PoolShare("web", share_pct=50),
        PoolShare("amazon", share_pct=30),
        PoolShare("stores", units=10),
    )
    unlimited = rebalanced(shares, {"web": 90, "amazon": 10}, CHANNELS, max_move_pct=100)
    assert unlimited is not None
    assert [p.share_pct for p in unlimited[:2]] == [72, 8]
    assert rebalanced(shares, {}, CHANNELS, 10) is None  # nothing sold: nothing to go by
    assert rebalanced(shares, {"web": 5, "amazon": 5}, CHANNELS, 10) is None  # already even
    assert rebalanced([PoolShare("web", share_pct=40)], {"web": 9}, CHANNELS, 10) is None


@given(
    st.lists(st.integers(0, 40), min_size=2, max_size=3),
    st.lists(st.integers(0, 1000), min_size=3, max_size=3),
    st.integers(1, 100),
)
def test_rebalancing_keeps_the_sum_and_the_limit_for_any_velocities(
    pcts: list[int], sold: list[int], limit: int
) -> None:
    ids = ["web", "amazon", "stores"][: len(pcts)]
    shares = [PoolShare(c, share_pct=p) for c, p in zip(ids, pcts, strict=True)]
    moved = rebalanced(shares, dict(zip(ids, sold, strict=False)), CHANNELS, limit)
    if moved is None:
        return
    after = [p.share_pct or 0 for p in moved]
    assert sum(after) == sum(pcts)
    assert all(abs(a - b) <= limit + 1 for a, b in zip(after, pcts, strict=True))  # +1: rounding
    assert all(a >= 0 for a in after)


def test_a_sku_is_short_when_a_percentage_pool_runs_low() -> None:
    shares = [PoolShare("web", share_pct=50), PoolShare("amazon", share_pct=50)]
    fresh = SkuChannels("A", 100, 0, shares, {})
    assert not short_of_pool(fresh, CHANNELS, 15)
    assert not short_of_pool(fresh.took("web", 42), CHANNELS, 15)  # 8 of 50 free: 16%
    assert short_of_pool(fresh.took("web", 43), CHANNELS, 15)  # 7 of 50: 14%
    fixed = SkuChannels("A", 100, 0, [PoolShare("web", units=50)], {})
    assert not short_of_pool(fixed.took("web", 50), CHANNELS, 15)  # fixed pools never move


# -- what a hold elsewhere can take from a channel's room -----------------------------


@given(
    splits(),
    st.integers(0, 300),
    st.lists(st.tuples(st.integers(0, 6), st.integers(1, 40)), max_size=40),
    st.integers(0, 6),
)
def test_a_unit_held_elsewhere_takes_at_most_one_unit_of_any_channels_room(
    split: tuple[dict[str, Channel], list[PoolShare]],
    total: int,
    buys: list[tuple[int, int]],
    who: int,
) -> None:
    """The guard of holds decided without a lock (`SkuChannels.room`) rests
    on this: a unit held by anyone, through any channel or none, lowers any
    channel's room by at most one (and a release never lowers it)."""
    channels, shares = split
    active = sorted((c for c in channels.values() if c.active), key=lambda c: c.rank)
    names: list[str | None] = [c.id for c in active] + [None]
    stock = SkuChannels("A", total, 0, shares, {})
    for i, quantity in buys:
        through = names[i % len(names)]
        if quantity <= stock.room(through, channels):
            stock = stock.took(through, quantity)
    more = stock.took(names[who % len(names)], 1)
    for name in names:
        assert (
            stock.room(name, channels) - 1
            <= more.room(name, channels)
            <= stock.room(name, channels)
        )
