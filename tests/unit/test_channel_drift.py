"""The drift comparison on the in-memory fakes: what a channel's receivers
were sent against `channel_figures` now, the grace period, which receivers
count, and the relisting that repairs it."""

from __future__ import annotations

from stockd.adapters.clock import ManualClock
from stockd.adapters.memory.channel_figures import MemoryChannelFigures
from stockd.bootstrap import Container
from stockd.domain.adjustments import Change
from stockd.domain.channels import Channel, ChannelKind
from stockd.domain.commands import Adjust, CreateChannel, CreateWebhook, UpdateChannel
from stockd.domain.events import ChannelRelisted
from stockd.domain.quantities import LevelKey, State
from stockd.domain.webhooks import Webhook
from stockd.service.channel_drift import ChannelDrift, ChannelDrifts
from stockd.service.feed import feed_page
from tests.support import ADMIN, seed

WEB = Channel("web", "Web", ChannelKind.WEB, priority=1)


async def ready(mem: Container) -> tuple[ChannelDrifts, MemoryChannelFigures, ManualClock]:
    """SKUs A and B with 10 each at x, the channel `web`, and its feed's
    catalogue page served (both recorded at 10)."""
    await seed(
        mem.bus, skus={"A": 0, "B": 0}, locations={"x": 1}, stock={("A", "x"): 10, ("B", "x"): 10}
    )
    await mem.bus.handle(CreateChannel(WEB), ADMIN)
    drifts = mem.channel_drift
    assert drifts is not None
    assert isinstance(drifts.store, MemoryChannelFigures)
    assert isinstance(mem.clock, ManualClock)
    assert await drifts.record_served(
        "web", await feed_page(mem.reads, mem.availability, "web", None, 10)
    )
    return drifts, drifts.store, mem.clock


async def take(mem: Container, sku: str, units: int) -> None:
    await mem.bus.handle(
        Adjust((Change(LevelKey(sku, "x"), State.ON_HAND, "r", delta=-units),)), ADMIN
    )


async def found(drifts: ChannelDrifts, **kwargs: object) -> list[ChannelDrift]:
    return [d async for d in drifts.find_drift(**kwargs)]  # type: ignore[arg-type]


async def test_a_figure_still_right_is_no_drift_and_one_that_moved_is_named_after_the_grace(
    mem: Container,
) -> None:
    drifts, _, clock = await ready(mem)
    assert await found(drifts) == []
    await take(mem, "B", 3)
    head = await mem.reads.ledger_head()
    clock.advance(59)
    assert await found(drifts) == []  # 59 s: the feed may not have been polled yet
    clock.advance(1)
    [drift] = await found(drifts)
    assert (drift.channel, drift.sku, drift.via, drift.endpoint) == ("web", "B", "feed", "")
    assert (drift.sent, drift.now, drift.seqs) == (10, 7, (head,))
    assert drift.as_dict()["webhook_id"] is None


async def test_the_grace_counts_from_the_first_change_since_the_figure_was_sent(
    mem: Container,
) -> None:
    drifts, _, clock = await ready(mem)
    await take(mem, "A", 1)
    clock.advance(50)
    await take(mem, "A", 1)  # a later change does not restart the clock
    clock.advance(10)
    [drift] = await found(drifts)
    assert (drift.sent, drift.now, len(drift.seqs)) == (10, 8, 2)


async def test_a_channel_change_is_a_change_of_every_figure(mem: Container) -> None:
    drifts, _, clock = await ready(mem)
    await mem.bus.handle(UpdateChannel("web", {"safety_buffer_pct": 50}), ADMIN)
    head = await mem.reads.ledger_head()
    assert await found(drifts) == []
    clock.advance(60)
    assert [(d.sku, d.now, d.seqs) for d in await found(drifts)] == [
        ("A", 5, (head,)),
        ("B", 5, (head,)),
    ]


async def test_only_webhooks_that_still_follow_the_channel_and_its_figures_count(
    mem: Container,
) -> None:
    drifts, figures, clock = await ready(mem)
    hooks: dict[str, Webhook] = {}
    for name, events, channel in (
        ("figures", ("availability.changed",), "web"),
        ("family", ("availability.*",), "web"),
        ("alerts", ("stock.out_of_stock",), "web"),
        ("unchanneled", ("availability.changed",), None),
    ):
        hooks[name], _ = await mem.bus.handle(
            CreateWebhook(Webhook(id="", url="https://x.test", events=events, channel=channel)),
            ADMIN,
        )
    for hook in hooks.values():
        figures.delivered(hook.id, "web", "A", 10, 1, clock.now())
    await take(mem, "A", 2)
    clock.advance(60)
    found_ = await found(drifts)
    assert sorted(d.endpoint for d in found_) == sorted(
        ["", hooks["figures"].id, hooks["family"].id]
    )
    assert {(d.sent, d.now) for d in found_} == {(10, 8)}


async def test_a_failed_recording_is_reported_and_leaves_the_last_record(mem: Container) -> None:
    drifts, figures, clock = await ready(mem)
    await take(mem, "A", 4)
    page = await feed_page(mem.reads, mem.availability, "web", None, 10)
    figures.failing = True
    assert not await drifts.record_served("web", page)
    clock.advance(60)
    assert [(d.sku, d.sent, d.now) for d in await found(drifts)] == [("A", 10, 6)]


async def test_repush_relists_each_channel_and_sku_once_naming_every_receiver(
    mem: Container,
) -> None:
    drifts, figures, clock = await ready(mem)
    hook, _ = await mem.bus.handle(
        CreateWebhook(
            Webhook(id="", url="https://x.test", events=("availability.changed",), channel="web")
        ),
        ADMIN,
    )
    figures.delivered(hook.id, "web", "A", 10, 1, clock.now())
    await take(mem, "A", 4)
    await take(mem, "B", 1)
    clock.advance(60)
    head = await mem.reads.ledger_head()
    assert await drifts.repush(await found(drifts)) == 2
    relisted = [r.event for r in await mem.reads.events(head, 10)]
    assert all(isinstance(e, ChannelRelisted) for e in relisted)
    assert [(e.sku, e.sent, e.figure, e.receivers) for e in relisted] == [  # type: ignore[attr-defined]
        ("A", 10, 6, ("feed", f"webhook:{hook.id}")),
        ("B", 10, 9, ("feed",)),
    ]
    assert await drifts.repush([]) == 0
