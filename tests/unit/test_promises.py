"""Tying backordered units to inbound, first come first served (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from stockd.domain.promises import (
    Claim,
    Holder,
    HolderKind,
    Inbound,
    SupplyKind,
    backordered_change,
    fifo,
)

T = datetime(2027, 1, 4, tzinfo=UTC)


def po(name: str, days: int, free: int) -> Inbound:
    return Inbound(SupplyKind.PURCHASE_ORDER, name, T + timedelta(days=days), free)


def order(name: str, units: int, minute: int = 0) -> Claim:
    return Claim(Holder(HolderKind.ORDER, name), units, T + timedelta(minutes=minute))


def test_the_first_claim_takes_the_earliest_inbound_and_spills_into_the_next() -> None:
    grants = fifo([order("B", 2, 1), order("A", 3, 0)], [po("feb", 30, 4), po("jan", 10, 2)])
    assert [(g.claim.holder.id, g.inbound.id if g.inbound else None, g.units) for g in grants] == [
        ("A", "jan", 2),
        ("A", "feb", 1),
        ("B", "feb", 2),
    ]


def test_units_no_inbound_covers_are_granted_without_a_date() -> None:
    grants = fifo([order("A", 5)], [po("jan", 10, 3)])
    assert [(g.inbound, g.units) for g in grants][1:] == [(None, 2)]


def test_backordered_change_counts_only_units_below_zero() -> None:
    assert backordered_change(-3, -5) == 3  # 2 -> -3: three units beyond stock
    assert backordered_change(-1, 4) == -4  # -5 -> -1
    assert backordered_change(5, 3) == 0  # 2 -> 5: never below zero
    assert backordered_change(-2, 0) == 0  # commit: held to committed


@given(
    claims=st.lists(st.tuples(st.integers(1, 6), st.integers(0, 5)), max_size=8),
    supplies=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6)), max_size=5),
)
def test_every_claimed_unit_is_granted_once_and_inbound_is_never_over_promised(
    claims: list[tuple[int, int]], supplies: list[tuple[int, int]]
) -> None:
    cs = [order(f"O{i}", u, m) for i, (u, m) in enumerate(claims)]
    ss = [po(f"P{i}", d, f) for i, (d, f) in enumerate(supplies)]
    grants = fifo(cs, ss)
    for c in cs:
        assert sum(g.units for g in grants if g.claim == c) == c.units
    for s in ss:
        assert sum(g.units for g in grants if g.inbound == s) <= s.free
    # First come, first served: a later claim never holds an earlier date
    # than an earlier claim still waits for, nor inbound an earlier one lacks.
    dated = [g for g in grants if g.inbound is not None]
    order_of = sorted(cs, key=lambda c: (c.since, c.rank, c.holder))
    position = {c: i for i, c in enumerate(order_of)}
    for a in dated:
        for b in dated:
            if position[a.claim] < position[b.claim]:
                assert (a.inbound.ready_at, a.inbound.reference) <= (  # type: ignore[union-attr]
                    b.inbound.ready_at,  # type: ignore[union-attr]
                    b.inbound.reference,  # type: ignore[union-attr]
                )
    undated = [g for g in grants if g.inbound is None]
    if undated:
        assert sum(g.units for g in dated) == sum(s.free for s in ss)
