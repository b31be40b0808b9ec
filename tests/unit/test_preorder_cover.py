"""Covering units sold beyond stock: inbound first, then the preorder
allowance (in total and per capped channel); none once preorders ended (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockd.domain.catalog import ChannelPreorderCap, PolicyKind, StockPolicy
from stockd.domain.promises import Cover, PreorderRoom, cover

T = datetime(2027, 1, 4, tzinfo=UTC)
PREORDER = StockPolicy(PolicyKind.PREORDER, preorder_cap=10, preorder_until=T + timedelta(days=1))
BACKORDER = StockPolicy(PolicyKind.BACKORDER, backorder_cap=10)


def test_inbound_covers_first_then_the_preorder_allowance() -> None:
    assert cover(5, 2, PREORDER, T) == Cover(2, 3, 0)
    assert cover(5, 9, PREORDER, T) == Cover(5, 0, 0)


def test_a_backorder_sku_has_no_preorder_allowance() -> None:
    assert cover(5, 2, BACKORDER, T) == Cover(2, 0, 3)


def test_after_its_end_a_preorder_sku_covers_nothing_beyond_stock_not_even_by_inbound() -> None:
    assert cover(5, 9, PREORDER, T + timedelta(days=2)) == Cover(0, 0, 5)


@given(st.integers(0, 50), st.integers(0, 50), st.sampled_from([PREORDER, BACKORDER]))
def test_every_unit_is_covered_once(units: int, free: int, policy: StockPolicy) -> None:
    c = cover(units, free, policy, T)
    assert min(c.inbound, c.preorder, c.short) >= 0
    assert c.inbound + c.preorder + c.short == units


def test_a_capped_channel_has_the_lesser_of_its_room_and_the_totals() -> None:
    room = PreorderRoom(total=15, channels={"web": 4})
    assert (room.through("web"), room.through("app"), room.through(None)) == (4, 15, 15)
    after = room.took("web", 3)
    assert (after.through("web"), after.through("app")) == (1, 12)
    assert room.took("app", 14).through("web") == 1
    assert PreorderRoom(total=2, channels={"web": -3}).through("web") == 0  # cap lowered


@pytest.mark.parametrize(
    ("kind", "caps", "message"),
    [
        (PolicyKind.DENY, [("web", 1)], "need policy 'preorder'"),
        (PolicyKind.PREORDER, [("web", 1), ("web", 2)], "given twice"),
        (PolicyKind.PREORDER, [("web", -1)], "negative"),
    ],
    ids=["not preorder", "channel twice", "negative"],
)
def test_channel_caps_are_checked(
    kind: PolicyKind, caps: list[tuple[str, int]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        StockPolicy(kind, preorder_channel_caps=tuple(ChannelPreorderCap(*c) for c in caps))


def test_channel_counts_are_not_part_of_the_policy() -> None:
    a = StockPolicy(PolicyKind.PREORDER, preorder_channel_caps=(ChannelPreorderCap("web", 3, 2),))
    b = StockPolicy(PolicyKind.PREORDER, preorder_channel_caps=(ChannelPreorderCap("web", 3),))
    assert a == b
