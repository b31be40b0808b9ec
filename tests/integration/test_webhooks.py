"""Webhooks against a real local receiver: down, then slow, then failing,
then recovering — every message arrives, signed, in order per SKU, each
`webhook-id` standing for one message; dead letters and their replay; a
stuck endpoint delays no other."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import pytest_asyncio
import standardwebhooks

from stockd.adapters.clock import ManualClock
from stockd.adapters.webhook_http import HttpWebhookSender
from stockd.bootstrap import Container
from stockd.domain.commands import (
    CreateWebhook,
    LineRequest,
    ReleaseReservation,
    ReplayWebhook,
    Reserve,
    RotateWebhookSecret,
    UpdateWebhook,
)
from stockd.domain.webhooks import Webhook
from stockd.service.webhooks import Policy, Webhooks
from tests.integration.webhook_receiver import Receiver, webhooks_over
from tests.support import ADMIN, seed

EVENTS = (
    "reservation.created",
    "stock.out_of_stock",
    "stock.back_in_stock",
    "stock.low",
    "availability.changed",
)


@pytest_asyncio.fixture
async def hooks(db: Container, database_url: str) -> AsyncIterator[Webhooks]:
    """Webhooks that may retry 5 times, coalescing changes for a second."""
    policy = Policy(max_attempts=5, backoff_seconds=1, backoff_max_seconds=4, coalesce_seconds=1)
    async with webhooks_over(db, database_url, policy) as found:
        yield found


@pytest.fixture
def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    yield found  # type: ignore[misc]
    found.stop()


async def stock(db: Container, *skus: str, units: int = 10) -> None:
    await seed(
        db.bus,
        skus=dict.fromkeys(skus, 0),
        locations={"x": 1},
        stock={(sku, "x"): units for sku in skus},
    )


async def subscribe(db: Container, **fields: object) -> tuple[Webhook, str]:
    made: tuple[Webhook, str] = await db.bus.handle(
        CreateWebhook(Webhook(id="", **fields)),  # type: ignore[arg-type]
        ADMIN,
    )
    return made


def hold(sku: str, units: int) -> Reserve:
    return Reserve((LineRequest(sku, units, "x"),))


async def rounds(hooks: Webhooks, webhook: Webhook, clock: ManualClock, n: int = 1) -> None:
    """`n` delivery rounds, the clock moved past any retry's wait before each
    (and a coalesced figure's)."""
    for _ in range(n):
        clock.advance(5)
        await hooks.run_round(webhook)


def verified(receiver: Receiver, secret: str) -> list[dict[str, object]]:
    """Every message received, its signature checked (raises if one fails)."""
    verifier = standardwebhooks.Webhook(secret)
    return [
        verifier.verify(r.body, r.headers) | {"id": r.headers["webhook-id"]}
        for r in receiver.received
    ]


async def test_down_slow_failing_then_recovered_every_message_arrives_signed_and_in_order(
    db: Container, hooks: Webhooks, receiver: Receiver
) -> None:
    await stock(db, "A", "B")
    webhook, secret = await subscribe(db, url=receiver.url, events=EVENTS, low_stock_threshold=3)
    assert secret.startswith("whsec_")
    holds = []
    for sku, units in (("A", 8), ("A", 2), ("B", 4)):  # A: low, then out; B: changed
        holds.append(await db.bus.handle(hold(sku, units), ADMIN))
    await db.bus.handle(ReleaseReservation(holds[1].id), ADMIN)  # A back in stock (2)

    await rounds(hooks, webhook, db.clock)  # down: nothing listens
    failed = await hooks.deliveries(webhook.id, "failed", None, 100)
    assert failed
    assert all("ConnectError" in (d.last_error or "") for d in failed)
    receiver.mode = "slow"
    receiver.start()
    await rounds(hooks, webhook, db.clock)
    assert all(
        d.last_error == "no answer within 0.5 s"
        for d in await hooks.deliveries(webhook.id, "failed", None, 100)
    )
    receiver.mode = 500
    await rounds(hooks, webhook, db.clock)
    errors = await hooks.deliveries(webhook.id, "failed", None, 100)
    assert {(d.last_status, len(d.last_response or "")) for d in errors} == {(500, 1000)}
    receiver.mode = 204
    await rounds(hooks, webhook, db.clock, n=8)

    assert await hooks.deliveries(webhook.id, "failed", None, 100) == []
    assert await hooks.deliveries(webhook.id, "pending", None, 100) == []
    messages = verified(receiver, secret)
    bodies: dict[str, set[str]] = {}
    for m in messages:
        bodies.setdefault(str(m["id"]), set()).add(json.dumps(m["data"], sort_keys=True))
    assert all(len(b) == 1 for b in bodies.values()), "a webhook-id stood for two messages"
    delivered = sorted(
        await hooks.deliveries(webhook.id, "delivered", None, 100), key=lambda d: d.id
    )
    assert set(bodies) == {d.message_id for d in delivered}
    # What A went through, in order, once each (retries repeat the same id).
    first_seen = list(dict.fromkeys(str(m["id"]) for m in messages))
    kinds = {str(m["id"]): (m["type"], m["data"]) for m in messages}
    a = [kinds[i] for i in first_seen if kinds[i][1].get("sku") == "A"]  # type: ignore[union-attr]
    assert [t for t, _ in a] == [
        "reservation.created",
        "reservation.created",
        "stock.low",
        "availability.changed",
    ]
    # Both holds and the release were read in one round: the figure is read
    # once, after all three (2 left of 10), first seen: low.
    assert a[-1][1]["advertised"] == 2  # type: ignore[index]
    seqs = [m["data"]["seq"] for m in messages if m["data"].get("sku") == "A"]  # type: ignore[union-attr]
    assert seqs == sorted(seqs)


async def test_figures_change_round_by_round_low_out_and_back(
    db: Container, hooks: Webhooks, receiver: Receiver
) -> None:
    await stock(db, "A")
    receiver.start()
    webhook, secret = await subscribe(
        db, url=receiver.url, events=EVENTS[1:], low_stock_threshold=3
    )
    first = await db.bus.handle(hold("A", 8), ADMIN)
    await rounds(hooks, webhook, db.clock, n=2)  # 2 left: low
    await db.bus.handle(hold("A", 2), ADMIN)
    await rounds(hooks, webhook, db.clock, n=2)  # 0: out of stock
    await db.bus.handle(ReleaseReservation(first.id), ADMIN)
    await rounds(hooks, webhook, db.clock, n=2)  # 8: back in stock
    got = [(m["type"], m["data"]["advertised"]) for m in verified(receiver, secret)]  # type: ignore[index]
    assert got == [
        ("stock.low", 2),
        ("availability.changed", 2),
        ("stock.out_of_stock", 0),
        ("availability.changed", 0),
        ("stock.back_in_stock", 8),
        ("availability.changed", 8),
    ]


async def test_dead_letters_after_the_attempts_then_replay_delivers_them(
    db: Container, hooks: Webhooks, receiver: Receiver
) -> None:
    await stock(db, "A")
    receiver.mode = 500
    receiver.start()
    webhook, secret = await subscribe(db, url=receiver.url, events=("reservation.created",))
    await db.bus.handle(hold("A", 1), ADMIN)
    await rounds(hooks, webhook, db.clock, n=5)
    dead = await hooks.deliveries(webhook.id, "dead", None, 10)
    assert [(d.type, d.attempts) for d in dead] == [("reservation.created", 5)]
    assert len(receiver.received) == 5
    await rounds(hooks, webhook, db.clock, n=2)
    assert len(receiver.received) == 5  # dead: not tried again

    receiver.mode = 200
    assert await db.bus.handle(ReplayWebhook(webhook.id), ADMIN) == 1
    await rounds(hooks, webhook, db.clock)
    assert [d.message_id for d in await hooks.deliveries(webhook.id, "delivered", None, 10)] == [
        dead[0].message_id
    ]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    verified(receiver, secret)

    # Replay from a seq sends delivered messages again, under the same id.
    assert await db.bus.handle(ReplayWebhook(webhook.id, dead[0].seq), ADMIN) == 1
    await rounds(hooks, webhook, db.clock)
    assert len(receiver.received) == 7


async def test_a_rotated_secret_signs_beside_the_old_one(
    db: Container, hooks: Webhooks, receiver: Receiver
) -> None:
    await stock(db, "A")
    receiver.start()
    webhook, old = await subscribe(db, url=receiver.url, events=("reservation.created",))
    new = await db.bus.handle(RotateWebhookSecret(webhook.id, 3600), ADMIN)
    await db.bus.handle(hold("A", 1), ADMIN)
    await rounds(hooks, webhook, db.clock)
    verified(receiver, old)
    verified(receiver, new)
    assert len(receiver.received[0].headers["webhook-signature"].split(" ")) == 2


async def test_a_stuck_endpoint_delays_no_other(
    db: Container, hooks: Webhooks, receiver: Receiver
) -> None:
    await stock(db, "A")
    stuck = Receiver()
    stuck.mode, stuck.slow_seconds = "slow", 5.0
    stuck.start()
    receiver.start()
    patient = HttpWebhookSender(timeout_seconds=10.0, allow_private=True)
    try:
        slow, _ = await subscribe(db, url=stuck.url, events=("reservation.created",))
        await subscribe(db, url=receiver.url, events=("reservation.created",))
        for _ in range(3):
            await db.bus.handle(hold("A", 1), ADMIN)
        hooks.sender = patient  # the stuck endpoint holds its round
        for _ in range(50):
            await hooks.dispatch()
            if len(receiver.received) == 3:
                break
            await asyncio.sleep(0.05)
        assert len(receiver.received) == 3
        assert len(stuck.received) == 1  # still waiting on its first answer
        assert slow.id in hooks._tasks
        assert not hooks._tasks[slow.id].done()
    finally:
        await hooks.stop()
        await patient.close()
        stuck.stop()


async def test_skus_filter_and_paused_subscriptions(
    db: Container, hooks: Webhooks, receiver: Receiver
) -> None:
    await stock(db, "A", "B")
    receiver.start()
    webhook, _ = await subscribe(db, url=receiver.url, events=("reservation.*",), skus=("B",))
    await db.bus.handle(hold("A", 1), ADMIN)
    await db.bus.handle(hold("B", 1), ADMIN)
    await rounds(hooks, webhook, db.clock)
    assert [json.loads(r.body)["data"]["sku"] for r in receiver.received] == ["B"]
    paused = await db.bus.handle(UpdateWebhook(webhook.id, {"active": False}), ADMIN)
    assert paused.version == 2
    await hooks.dispatch()
    assert hooks._tasks == {}
    assert replace(paused, active=True, version=3) == replace(
        await db.bus.handle(UpdateWebhook(webhook.id, {"active": True}, 2), ADMIN),
        updated_at=paused.updated_at,
    )
