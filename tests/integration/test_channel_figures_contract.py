"""The contract of `ChannelFigureStore`, on the fake and on PostgreSQL:
feed pages recorded (the last served wins), sent figures read in keyset
order with their filters, and the ledger events since a figure was sent."""

from __future__ import annotations

from datetime import timedelta

from stockd.bootstrap import Container
from stockd.domain.adjustments import Change
from stockd.domain.channels import Channel, ChannelKind
from stockd.domain.commands import Adjust, CreateChannel, UpdateChannel
from stockd.domain.quantities import LevelKey, State
from stockd.service.feed import WIDE
from stockd.service.ports import ChannelFigureStore
from tests.support import ADMIN, T0, seed


def store_of(backend: Container) -> ChannelFigureStore:
    assert backend.channel_drift is not None
    return backend.channel_drift.store


async def channels(backend: Container, *ids: str) -> None:
    for i, channel_id in enumerate(ids, start=1):
        await backend.bus.handle(
            CreateChannel(Channel(channel_id, channel_id, ChannelKind.WEB, priority=i)), ADMIN
        )


async def test_feed_pages_are_read_back_in_key_order_the_last_served_winning(
    backend: Container,
) -> None:
    store = store_of(backend)
    await channels(backend, "amazon", "web")
    await store.record_served("web", [("B", 3, 7), ("A", 1, 7)], "c1", T0)
    await store.record_served("amazon", [("C", 5, 7)], "c2", T0)
    later = T0 + timedelta(seconds=5)
    await store.record_served("web", [("A", 2, 9)], "c3", later)

    found = await store.sent(None, None, None, 10)
    assert [(r.channel, r.sku, r.via, r.endpoint, r.figure, r.seq) for r in found] == [
        ("amazon", "C", "feed", "", 5, 7),
        ("web", "A", "feed", "", 2, 9),
        ("web", "B", "feed", "", 3, 7),
    ]
    assert (found[1].sent_at, found[1].reference) == (later, "c3")
    assert [r.sku for r in await store.sent("web", None, None, 10)] == ["A", "B"]
    assert [r.sku for r in await store.sent(None, ["B", "C"], None, 10)] == ["C", "B"]
    assert [r.sku for r in await store.sent(None, None, found[0].key, 1)] == ["A"]
    assert await store.sent(None, None, found[2].key, 10) == []


async def test_the_changes_since_a_figure_are_its_skus_and_the_wide_ones_oldest_first(
    backend: Container,
) -> None:
    store = store_of(backend)
    await seed(backend.bus, skus={"A": 0, "B": 0}, locations={"x": 1})
    await channels(backend, "web")
    start = await backend.reads.ledger_head()

    async def adjust(sku: str) -> int:
        change = Change(LevelKey(sku, "x"), State.ON_HAND, "r", delta=1)
        await backend.bus.handle(Adjust((change,)), ADMIN)
        return await backend.reads.ledger_head()

    a1 = await adjust("A")
    await adjust("B")
    await backend.bus.handle(UpdateChannel("web", {"safety_buffer_pct": 10}), ADMIN)
    wide = await backend.reads.ledger_head()
    a2 = await adjust("A")

    found = await store.changes_since({("A", start), ("A", a1), ("B", a2)}, WIDE, 10)
    assert {k: [c.seq for c in v] for k, v in found.items()} == {
        ("A", start): [a1, wide, a2],
        ("A", a1): [wide, a2],
        ("B", a2): [],
    }
    limited = await store.changes_since({("A", start)}, WIDE, 2)
    assert [c.seq for c in limited[("A", start)]] == [a1, wide]
    assert limited[("A", start)][0].at == backend.clock.now()
