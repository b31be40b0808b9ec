"""Webhooks: subscriptions, the outbox that follows the ledger, and delivery.

The outbox is not a second source of truth: for each subscription a round
reads the ledger after the subscription's cursor (`seq` order), records the
messages those events call for and moves the cursor in one transaction
(`WebhookRound.record`), then sends what is due. Messages are ledger events
the subscription names, and the `stock.*` / `availability.changed` messages
derived from the figures of the SKUs the events touched
(`stockd.domain.webhooks.changes`), each figure read when the round runs, so
a burst of changes ends on the latest one.

Each message is signed per Standard Webhooks (`webhook-id`,
`webhook-timestamp`, `webhook-signature`), tried until the endpoint answers
2xx, again after a backoff with jitter when it does not, and dead-lettered
after the configured attempts. Messages about one SKU go out in `seq` order:
one waits while an older one of its SKU is undelivered. Each subscription is
worked on by one task of one process at a time (`WebhookStore.round`), so a
slow or failing endpoint delays only itself.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import orjson

from stockd import errors
from stockd.domain.events import ChannelRelisted, document, sku_of
from stockd.domain.webhooks import (
    AVAILABILITY_CHANGED,
    DERIVED,
    Webhook,
    changes,
    retry_delay,
    sign,
)
from stockd.service.feed import WIDE
from stockd.service.pools import available_figures, channel_figures
from stockd.service.ports import (
    Clock,
    Delivery,
    NewMessage,
    WebhookRound,
    WebhookSender,
    WebhookStore,
)
from stockd.service.queries import AvailabilityReader, ReadModel

log = logging.getLogger(__name__)

BATCH = 500
"""Most ledger events one round reads; most deliveries it sends."""
MAX_WEBHOOKS = 1000


@dataclass(frozen=True, slots=True)
class Policy:
    """How messages are delivered (settings `STOCKD_WEBHOOKS_*`)."""

    max_attempts: int = 8
    backoff_seconds: float = 5.0
    backoff_max_seconds: float = 3600.0
    coalesce_seconds: float = 1.0
    secret_grace_seconds: float = 86_400.0


class Webhooks:
    """Everything about webhooks the API, the CLI and the worker ask for."""

    def __init__(
        self,
        store: WebhookStore,
        sender: WebhookSender,
        reads: ReadModel,
        availability: AvailabilityReader,
        clock: Clock,
        policy: Policy,
    ) -> None:
        self.store = store
        self.sender = sender
        self.reads = reads
        self.availability = availability
        self.clock = clock
        self.policy = policy
        self._rng = random.Random()
        self._tasks: dict[str, asyncio.Task[int]] = {}

    # -- subscriptions (written through the bus: `service.handlers.webhooks`) ---

    async def check_url(self, url: str) -> None:
        """Refuse (422) a URL stockd will not send to: not http(s), or on a
        loopback, private or link-local address."""
        refusal = await self.sender.refusal(url)
        if refusal is not None:
            raise errors.InvalidRequest(errors.Issue(refusal, "url"))

    async def get(self, webhook_id: str) -> Webhook:
        found = await self.store.get(webhook_id)
        if found is None:
            raise errors.NotFound(f"webhook {webhook_id!r} does not exist")
        return found

    async def deliveries(
        self, webhook_id: str, status: str | None, before: int | None, limit: int
    ) -> list[Delivery]:
        await self.get(webhook_id)
        return await self.store.deliveries(webhook_id, status, before, limit)

    # -- the worker -------------------------------------------------------------

    async def dispatch(self) -> int:
        """Start a round for every active subscription that has none running
        (each in a task of its own: a slow endpoint delays only itself); the
        messages the rounds finished since the last call sent or tried."""
        done = 0
        for webhook_id, task in list(self._tasks.items()):
            if task.done():
                del self._tasks[webhook_id]
                if not task.cancelled() and task.exception() is None:
                    done += task.result()
                elif not task.cancelled():
                    log.error("webhook %s: round failed", webhook_id, exc_info=task.exception())
        for webhook in await self.store.page(None, MAX_WEBHOOKS):
            if webhook.active and webhook.id not in self._tasks:
                self._tasks[webhook.id] = asyncio.create_task(
                    self.run_round(webhook), name=f"stockd-webhook-{webhook.id}"
                )
        return done

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    async def run_round(self, webhook: Webhook) -> int:
        """Fill the webhook's outbox from the ledger, then send what is due;
        how many messages were tried (0 when another process has it)."""
        async with self.store.round(webhook.id) as round_:
            if round_ is None:
                return 0
            while await self.fill(round_, webhook) == BATCH:
                pass
            return await self.send_due(round_, webhook)

    async def fill(self, round_: WebhookRound, webhook: Webhook) -> int:
        """Record the messages of the next ledger events after the cursor;
        how many events were read."""
        after = await round_.cursor()
        records = await self.reads.events(after, BATCH)
        if not records:
            return 0
        now = self.clock.now()
        messages: list[NewMessage] = []
        touched: dict[str, int] = {}
        wide = False
        relisted: dict[str, int] = {}
        for record in records:
            event, sku = record.event, sku_of(record.event)
            relist = event.type == ChannelRelisted.type and event.channel == webhook.channel
            if relist and sku is not None and webhook.about(sku):
                relisted[sku] = record.seq  # this channel's figure drifted: resend it
            if webhook.wants(event.type) and webhook.about(sku):
                body = {
                    "type": event.type,
                    "timestamp": event.at,
                    "data": document(record.seq, event),
                }
                messages.append(
                    NewMessage(
                        f"msg_{webhook.id}_{record.seq}", record.seq, event.type, sku, body, now
                    )
                )
            if sku is not None and webhook.about(sku):
                touched[sku] = record.seq
            wide = wide or event.type in WIDE
        figures: dict[str, tuple[int, int]] = {}
        if webhook.derives:
            last = records[-1].seq
            before = await round_.figures(None if wide else touched)
            for sku in before:
                touched.setdefault(sku, last)  # a wide change: every SKU it has sent
            current = await self.figures(webhook, list(touched))
            for sku, figure in current.items():
                seq = touched[sku]
                figures[sku] = (figure, seq)
                kinds = changes(before.get(sku), figure, webhook.low_stock_threshold)
                for kind in kinds:
                    if webhook.wants(kind):
                        messages.append(self._derived(webhook, kind, sku, seq, figure, before, now))
                if sku in relisted and AVAILABILITY_CHANGED not in kinds:
                    messages.extend(
                        self._relisted(webhook, sku, relisted[sku], seq, figure, before, now)
                    )
        messages.sort(key=lambda m: (m.seq, m.type in DERIVED))
        await round_.record(messages, figures, records[-1].seq, now)
        return len(records)

    def _derived(
        self,
        webhook: Webhook,
        kind: str,
        sku: str,
        seq: int,
        figure: int,
        before: Mapping[str, int],
        now: datetime,
    ) -> NewMessage:
        data = {
            "sku": sku,
            "channel": webhook.channel,
            "advertised": figure,
            "previous": before.get(sku),
            "seq": seq,
        }
        if webhook.low_stock_threshold is not None:
            data["low_stock_threshold"] = webhook.low_stock_threshold
        coalesce = kind == AVAILABILITY_CHANGED
        return NewMessage(
            f"msg_{webhook.id}_{seq}_{kind}",
            seq,
            kind,
            sku,
            {"type": kind, "timestamp": now, "data": data},
            now + timedelta(seconds=self.policy.coalesce_seconds if coalesce else 0),
            coalesce,
        )

    def _relisted(
        self,
        webhook: Webhook,
        sku: str,
        relisted: int,
        seq: int,
        figure: int,
        before: Mapping[str, int],
        now: datetime,
    ) -> list[NewMessage]:
        """The figure sent again because the channel's figure had drifted
        (`channel.relisted`): an `availability.changed` message like any
        other, under an id of its own (`msg_<webhook>_<seq>_relisted`) that
        receivers' dedupe does not take for the message it repairs."""
        if not webhook.wants(AVAILABILITY_CHANGED):
            return []
        message = self._derived(webhook, AVAILABILITY_CHANGED, sku, seq, figure, before, now)
        return [
            replace(
                message,
                message_id=f"msg_{webhook.id}_{relisted}_relisted",
                not_before=now,
                coalesce=False,
            )
        ]

    async def figures(self, webhook: Webhook, skus: Sequence[str]) -> dict[str, int]:
        """The figure of each SKU for the subscription: the channel's
        advertised units, or without a channel the SKU's available units."""
        if not skus:
            return {}
        if webhook.channel is not None:
            found = await channel_figures(self.reads, self.availability, webhook.channel, skus)
            return {sku: f.advertised for sku, f in found.items()}
        return await available_figures(self.reads, self.availability, skus)

    async def send_due(self, round_: WebhookRound, webhook: Webhook) -> int:
        """Send the deliveries due now, in order; how many were tried. After
        a failure, the rest of that SKU's wait for the next round (messages
        of one SKU arrive in order)."""
        due = await round_.due(self.clock.now(), BATCH)
        secrets = await self.store.secrets(webhook.id, self.clock.now()) if due else []
        stopped: set[str | None] = set()
        tried = 0
        for delivery in due:
            if delivery.sku in stopped:
                continue
            tried += 1
            body = orjson.dumps(delivery.payload)
            timestamp = int(self.clock.now().timestamp())
            signatures = [sign(s, delivery.message_id, timestamp, body) for s in secrets]
            headers = {
                "content-type": "application/json",
                "user-agent": "stockd-webhooks",
                "webhook-id": delivery.message_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": " ".join(signatures),
            }
            attempt = await self.sender.post(webhook.url, headers, body)
            retry_at = None
            if not attempt.ok and delivery.attempts + 1 < self.policy.max_attempts:
                delay = retry_delay(
                    delivery.attempts + 1,
                    self.policy.backoff_seconds,
                    self.policy.backoff_max_seconds,
                    self._rng.random(),
                )
                retry_at = self.clock.now() + timedelta(seconds=delay)
            await round_.attempted(delivery, attempt, retry_at, self.clock.now())
            if not attempt.ok:
                stopped.add(delivery.sku)
        return tried
