"""Channel drift against real PostgreSQL and a real webhook receiver: what a
channel's webhook had delivered drifts from what stockd computes (a figure
dead-lettered, stock changed behind the ledger's back); the check finds it
once the grace period has passed, names it, and its repair — a relisting
the webhook answers with the current figure — brings a second check back
to clean."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from stockd.adapters.clock import ManualClock
from stockd.adapters.postgres.channel_figures import PostgresChannelFigures
from stockd.bootstrap import Container, reconciler
from stockd.domain.channels import Channel, ChannelKind
from stockd.domain.commands import (
    CreateChannel,
    CreateWebhook,
    DeleteWebhook,
    LineRequest,
    Reserve,
    UpdateWebhook,
)
from stockd.domain.events import ChannelRelisted
from stockd.domain.webhooks import Webhook
from stockd.service.channel_drift import ChannelDrift, ChannelDrifts
from stockd.service.feed import feed_page
from stockd.service.queries import EventFilter
from stockd.service.webhooks import Policy, Webhooks
from tests.integration.webhook_receiver import Receiver, webhooks_over
from tests.support import ADMIN, race, seed

WEB = Channel("web", "Web", ChannelKind.WEB, priority=1)
GRACE = 60


@pytest_asyncio.fixture
async def hooks(db: Container, database_url: str) -> AsyncIterator[Webhooks]:
    """Webhooks whose messages are dead after 3 failed attempts."""
    policy = Policy(max_attempts=3, backoff_seconds=1, backoff_max_seconds=2, coalesce_seconds=0)
    async with webhooks_over(db, database_url, policy) as found:
        yield found


@pytest.fixture
def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    found.start()
    yield found  # type: ignore[misc]
    found.stop()


@pytest.fixture
def drifts(db: Container) -> ChannelDrifts:
    assert db.channel_drift is not None
    return db.channel_drift


async def setup(db: Container, receiver: Receiver) -> Webhook:
    """SKU A with 10 at x, the channel `web` and its webhook of figures."""
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 10})
    await db.bus.handle(CreateChannel(WEB), ADMIN)
    webhook: Webhook
    webhook, _ = await db.bus.handle(
        CreateWebhook(
            Webhook(id="", url=receiver.url, events=("availability.changed",), channel="web")
        ),
        ADMIN,
    )
    return webhook


async def rounds(hooks: Webhooks, webhook: Webhook, clock: ManualClock, n: int = 1) -> None:
    for _ in range(n):
        clock.advance(3)
        await hooks.run_round(webhook)


async def hold(db: Container, units: int) -> None:
    await db.bus.handle(Reserve((LineRequest("A", units, "x"),)), ADMIN)


async def found(drifts: ChannelDrifts, **kwargs: object) -> list[ChannelDrift]:
    return [d async for d in drifts.find_drift(**kwargs)]  # type: ignore[arg-type]


def figures(receiver: Receiver) -> list[tuple[str, int]]:
    """Each message received: its id and the figure it carried."""
    return [
        (r.headers["webhook-id"], json.loads(r.body)["data"]["advertised"])
        for r in receiver.received
    ]


async def sent(raw: asyncpg.Connection) -> list[tuple[str, str, str, int]]:
    rows = await raw.fetch(
        "SELECT channel, sku, via, figure FROM channel_figures_sent ORDER BY 1, 2, 3, endpoint"
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_dead_lettered_figure_is_drift_after_the_grace_period_and_its_relisting_repairs_it(
    db: Container,
    hooks: Webhooks,
    receiver: Receiver,
    drifts: ChannelDrifts,
    raw: asyncpg.Connection,
) -> None:
    assert isinstance(db.clock, ManualClock)
    webhook = await setup(db, receiver)
    await hold(db, 2)
    await rounds(hooks, webhook, db.clock)
    assert figures(receiver)[-1][1] == 8
    assert await sent(raw) == [("web", "A", "webhook", 8)]  # delivered: recorded

    receiver.mode = 500  # the next figure (5) is never delivered: dead after 3 attempts
    await hold(db, 3)
    head = await db.reads.ledger_head()
    await rounds(hooks, webhook, db.clock, n=4)
    assert [d.status for d in await hooks.deliveries(webhook.id, "dead", None, 10)] == ["dead"]
    assert await sent(raw) == [("web", "A", "webhook", 8)]  # the channel holds 8 still

    assert await found(drifts) == []  # the change is younger than the grace period
    db.clock.advance(GRACE)
    [drift] = await found(drifts)
    assert (drift.channel, drift.sku, drift.via, drift.endpoint) == (
        "web",
        "A",
        "webhook",
        webhook.id,
    )
    assert (drift.sent, drift.now) == (8, 5)
    assert drift.seqs == (head,)  # the hold that moved it, and nothing else
    assert f"webhook {webhook.id} was last sent 8" in drift.detail
    assert await found(drifts, channel="other") == []
    assert await found(drifts, skus=["B"]) == []

    receiver.mode = 204
    assert await drifts.repush([drift]) == 1
    [relisted] = [
        r.event
        for r in await db.reads.events(head, 10, EventFilter(types=frozenset({"channel.relisted"})))
    ]
    assert isinstance(relisted, ChannelRelisted)
    assert (relisted.channel, relisted.sku, relisted.sent, relisted.figure) == ("web", "A", 8, 5)
    assert relisted.receivers == (f"webhook:{webhook.id}",)
    before = len(receiver.received)
    await rounds(hooks, webhook, db.clock)
    resent = figures(receiver)[before:]
    relist_seq = await db.reads.ledger_head()
    assert resent == [(f"msg_{webhook.id}_{relist_seq}_relisted", 5)]
    body = json.loads(receiver.received[-1].body)
    assert body["type"] == "availability.changed"
    assert set(body["data"]) >= {"sku", "channel", "advertised", "previous", "seq"}
    assert await sent(raw) == [("web", "A", "webhook", 5)]
    assert await found(drifts) == []  # the second check is clean
    assert (await db.reads.verify()).clean


async def test_stock_changed_behind_the_ledgers_back_is_drift_at_once_and_is_resent(
    db: Container,
    hooks: Webhooks,
    receiver: Receiver,
    drifts: ChannelDrifts,
    raw: asyncpg.Connection,
) -> None:
    assert isinstance(db.clock, ManualClock)
    webhook = await setup(db, receiver)
    await hold(db, 1)
    await rounds(hooks, webhook, db.clock)
    assert await sent(raw) == [("web", "A", "webhook", 9)]

    await raw.execute("UPDATE levels SET on_hand = on_hand - 4 WHERE sku = 'A'")
    [drift] = await found(drifts)  # no event will ever carry it: no grace
    assert (drift.sent, drift.now, drift.seqs) == (9, 5, ())
    assert "no ledger event since explains it" in drift.detail

    assert await drifts.repush([drift]) == 1
    await rounds(hooks, webhook, db.clock)
    assert figures(receiver)[-1][1] == 5
    assert await found(drifts) == []


async def test_a_webhook_paused_is_no_longer_checked_and_a_deleted_one_leaves_no_record(
    db: Container,
    hooks: Webhooks,
    receiver: Receiver,
    drifts: ChannelDrifts,
    raw: asyncpg.Connection,
) -> None:
    webhook = await setup(db, receiver)
    await hold(db, 1)
    await rounds(hooks, webhook, db.clock)
    await raw.execute("UPDATE levels SET on_hand = on_hand - 4 WHERE sku = 'A'")
    assert len(await found(drifts)) == 1
    await db.bus.handle(UpdateWebhook(webhook.id, {"active": False}), ADMIN)
    assert await found(drifts) == []
    await db.bus.handle(DeleteWebhook(webhook.id), ADMIN)
    assert await sent(raw) == []  # what it had delivered went with it


async def test_drift_is_read_in_chunks_and_in_key_order(
    db: Container, drifts: ChannelDrifts, raw: asyncpg.Connection
) -> None:
    skus = [f"S{i:02}" for i in range(7)]
    await seed(
        db.bus, skus=dict.fromkeys(skus, 0), locations={"x": 1}, stock={(s, "x"): 3 for s in skus}
    )
    await db.bus.handle(CreateChannel(WEB), ADMIN)
    page = await feed_page(db.reads, db.availability, "web", None, 100)
    assert await drifts.record_served("web", page)
    assert len(await sent(raw)) == 7
    await raw.execute("UPDATE levels SET on_hand = 1 WHERE sku IN ('S01', 'S04', 'S06')")
    chunked = await found(drifts, chunk=2)
    assert [d.sku for d in chunked] == ["S01", "S04", "S06"]
    assert chunked == await found(drifts)
    after = chunked[0].key
    assert [d.sku for d in await found(drifts, after=after, chunk=3)] == ["S04", "S06"]


async def test_a_feed_page_is_served_when_its_figures_cannot_be_recorded(
    db: Container, drifts: ChannelDrifts, database_url: str
) -> None:
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 10})
    await db.bus.handle(CreateChannel(WEB), ADMIN)
    page = await feed_page(db.reads, db.availability, "web", None, 100)
    locker = await asyncpg.connect(database_url)
    try:
        async with locker.transaction():
            await locker.execute("LOCK TABLE channel_figures_sent IN ACCESS EXCLUSIVE MODE")
            started = asyncio.get_running_loop().time()
            assert not await drifts.record_served("web", page)
            assert asyncio.get_running_loop().time() - started < 2
    finally:
        await locker.close()
    assert await drifts.record_served("web", page)


async def test_only_webhooks_that_still_follow_the_channels_figures_are_compared(
    db: Container, drifts: ChannelDrifts, raw: asyncpg.Connection
) -> None:
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 10})
    await db.bus.handle(CreateChannel(WEB), ADMIN)
    hooks: dict[str, Webhook] = {}
    for name, events, channel in (
        ("figures", ("availability.changed",), "web"),
        ("family", ("availability.*",), "web"),
        ("alerts", ("stock.out_of_stock",), "web"),
        ("unchanneled", ("availability.changed",), None),
    ):
        hooks[name], _ = await db.bus.handle(
            CreateWebhook(Webhook(id="", url="https://x.test", events=events, channel=channel)),
            ADMIN,
        )
    await raw.execute(
        "INSERT INTO channel_figures_sent (channel, sku, via, endpoint, figure, seq, sent_at)"
        " SELECT 'web', 'A', 'webhook', id, 99, 0, now() FROM webhooks"
    )
    assert isinstance(db.clock, ManualClock)
    db.clock.advance(GRACE)
    found_ = await found(drifts)
    assert sorted(d.endpoint for d in found_) == sorted([hooks["figures"].id, hooks["family"].id])
    assert {(d.sent, d.now) for d in found_} == {(99, 10)}


async def test_feed_pages_of_one_channel_recorded_at_once_never_deadlock(
    db: Container, raw: asyncpg.Connection
) -> None:
    skus = [f"S{i:03}" for i in range(200)]
    await seed(db.bus, skus=dict.fromkeys(skus, 0), locations={"x": 1})
    await db.bus.handle(CreateChannel(WEB), ADMIN)
    page = await feed_page(db.reads, db.availability, "web", None, 1000)
    assert len(page.items) == 200
    # Waits long for locks (the feed's own 100 ms would make a busy machine
    # fail pages that merely queued): only a deadlock fails a page here.
    assert db.pool is not None
    store = PostgresChannelFigures(db.pool, lock_timeout_ms=20_000, statement_timeout_ms=30_000)

    async def record(i: int) -> None:
        # Each page lists the SKUs in another order (as pages of changes do).
        items = page.items[i * 12 :] + page.items[: i * 12]
        figures = [(x.figure.sku, x.figure.advertised, x.seq) for x in items]
        await store.record_served("web", figures[::-1] if i % 2 else figures, "c", db.clock.now())

    assert await race(16, record) == [None] * 16
    assert len(await sent(raw)) == 200


async def test_the_reconciler_reports_channel_drift_and_its_repair_relists_it_once(
    db: Container,
    hooks: Webhooks,
    receiver: Receiver,
    raw: asyncpg.Connection,
) -> None:
    """Channel drift is one of the reconciler's checks: a dry run reports
    it (and counts it in the discrepancy rate), `apply` relists it once, the
    webhook delivers the figure now, and the next run is clean."""
    assert isinstance(db.clock, ManualClock)
    reconcile = reconciler(db)
    assert reconcile is not None
    webhook = await setup(db, receiver)
    await hold(db, 2)
    await rounds(hooks, webhook, db.clock)
    receiver.mode = 500
    await hold(db, 3)
    await rounds(hooks, webhook, db.clock, n=4)  # 5 dead-lettered: the channel holds 8
    db.clock.advance(GRACE)

    report, _ = await reconcile.run(apply=False, actor="test")
    stored = await reconcile.store.get(report.id)
    assert stored is not None
    [drift] = stored.findings
    assert (drift.check, drift.sku, drift.channel, drift.location) == (
        "channel_drift",
        "A",
        "web",
        None,
    )
    assert drift.subject == f"A through web (webhook {webhook.id})"
    assert (dict(drift.expected), dict(drift.actual)) == ({"advertised": 5}, {"advertised": 8})
    assert drift.seqs
    assert not drift.repaired
    assert report.differences == 1
    assert report.discrepancy_rate > 0

    receiver.mode = 204
    head = await db.reads.ledger_head()
    repaired, _ = await reconcile.run(apply=True, actor="test")
    assert repaired.repaired == 1
    relistings = await db.reads.events(head, 10, EventFilter(types=frozenset({"channel.relisted"})))
    assert len(relistings) == 1
    await rounds(hooks, webhook, db.clock)
    assert figures(receiver)[-1] == (f"msg_{webhook.id}_{relistings[0].seq}_relisted", 5)
    clean, _ = await reconcile.run(apply=False, actor="test")
    assert clean.differences == 0
    assert (await db.reads.verify()).clean
