"""The relay: every committed ledger event, once and in `seq` order, to a
stream (NATS JetStream, through the `EventPublisher` port).

One relay publishes at a time, the one that holds the `Leadership`; the
others try again every `retry_seconds` and take over within about that long
when the leader dies. The leader resumes from the stream itself: after the
`seq` of the stream's last message (or, when the stream holds none, after
the database cursor it advances after each acknowledged page), and follows
the ledger from there (`following.follow`). Each publish names the message
that must be the stream's last (the first after each reading of the stream
by the stream's own sequence, then by the previous `seq`), so a publisher
with a stale view is refused instead of writing a duplicate or out of order;
the relay then reads the stream again and goes on from what it holds. A
broker outage is logged, waited out (backoff, capped and jittered) and
resumed the same way: nothing is skipped, nothing comes twice, and an event
whose transaction rolled back is never read, so never published.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import cast

import orjson

from stockd.domain.cloudevents import cloudevent, subject_of
from stockd.service.following import follow
from stockd.service.ports import (
    EventPublisher,
    Leadership,
    LedgerWatch,
    Outgoing,
    OutOfStep,
    PublisherUnavailable,
    RelayCursors,
)
from stockd.service.queries import LedgerRecord, ReadModel

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelayPolicy:
    source: str = "/stockd"
    """The CloudEvents `source` of every event."""
    name: str = "nats"
    """The relay's cursor in the database."""
    page: int = 500
    """Events read from the ledger at a time."""
    idle: float = 1.0
    """Without events, the leader checks it still leads this often."""
    retry_seconds: float = 1.0
    """A relay that does not lead tries to take the lead this often."""
    backoff_seconds: float = 0.5
    """The first wait after the broker failed; doubled each time, with jitter."""
    backoff_max_seconds: float = 15.0


def outgoing(record: LedgerRecord, source: str) -> Outgoing:
    """A ledger record as the relay publishes it: its subject, and its
    CloudEvents document (times in RFC 3339 UTC, as the API writes them)."""
    body = orjson.dumps(cloudevent(record.seq, record.event, source), option=orjson.OPT_UTC_Z)
    return Outgoing(record.seq, subject_of(record.event.type), body)


class Relay:
    def __init__(
        self,
        reads: ReadModel,
        watch: LedgerWatch,
        publisher: EventPublisher,
        leadership: Leadership,
        cursors: RelayCursors,
        policy: RelayPolicy,
    ) -> None:
        self.reads = reads
        self.watch = watch
        self.publisher = publisher
        self.leadership = leadership
        self.cursors = cursors
        self.policy = policy
        self.published = 0
        """Events this relay published (for logs and tests)."""
        self._rng = random.Random()

    async def run(self) -> None:
        """Relay while leading, wait while not, until cancelled; then let
        go of the broker and the lead."""
        try:
            while True:
                try:
                    if await self.leadership.acquire():
                        await self._lead()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("relay: failed; letting go of the lead and trying again")
                await self.leadership.release()
                await asyncio.sleep(self.policy.retry_seconds)
        finally:
            await self.publisher.close()
            await self.leadership.release()

    async def _lead(self) -> None:
        """Publish while this process leads; return when it no longer does."""
        log.info("relay: leading; publishing the ledger")
        failures = 0
        while await self.leadership.held():
            try:
                await self.publisher.prepare()
                last = await self.publisher.last_published()
                if last is None:
                    last = await self.cursors.load(self.policy.name)
                log.info("relay: resuming after seq %d", last)
                async for published in self._publish_after(last):
                    if published:
                        failures = 0
                continue  # the lead was lost: the loop's test says so
            except OutOfStep as e:
                failures += 1
                log.warning("relay: %s; reading the stream again", e)
                if failures > 1:  # once is a takeover; again and again is not
                    await asyncio.sleep(self._backoff(failures - 1))
            except PublisherUnavailable as e:
                failures += 1
                delay = self._backoff(failures)
                log.warning("relay: broker unavailable (%s); retrying in %.1f s", e, delay)
                await asyncio.sleep(delay)
        log.warning("relay: lost the lead; stopped publishing")

    async def _publish_after(self, last: int) -> AsyncIterator[int]:
        """Publish every event after `last` as it commits; yields how many
        each page published, and ends when the lead is lost.

        A page's events are published without waiting for each ack before
        the next (in order, on one connection): each names its predecessor
        as the stream's last message, so the stream stores them in order or
        refuses the rest, and the relay then reads the stream again. The
        lead is confirmed, and the database cursor (only a fallback for an
        empty stream) saved, at most every `idle` seconds: a relay that lost
        the lead meanwhile is refused by the stream, not trusted."""
        previous: int | None = None  # the first publish checks the stream as read
        checked = saved = time.monotonic()
        saved_seq: int | None = None
        pages = follow(self.reads, self.watch, last, page=self.policy.page, idle=self.policy.idle)
        async with aclosing(cast(AsyncGenerator[list[LedgerRecord]], pages)):
            async for page in pages:
                now = time.monotonic()
                if not page or now - checked >= self.policy.idle:
                    if not await self.leadership.held():
                        return
                    checked = now
                if page:
                    await self._publish_page(page, previous)
                    previous = page[-1].seq
                    self.published += len(page)
                if (
                    previous is not None
                    and previous != saved_seq
                    and (not page or now - saved >= self.policy.idle)
                ):
                    await self.cursors.save(self.policy.name, previous)
                    saved, saved_seq = now, previous
                yield len(page)

    async def _publish_page(self, page: list[LedgerRecord], previous: int | None) -> None:
        befores = [previous, *(r.seq for r in page[:-1])]
        sent = await asyncio.gather(
            *(
                self.publisher.publish(outgoing(record, self.policy.source), before)
                for record, before in zip(page, befores, strict=True)
            ),
            return_exceptions=True,
        )
        for outcome in sent:
            if isinstance(outcome, BaseException):
                raise outcome  # the first refusal or failure, in seq order

    def _backoff(self, failures: int) -> float:
        ceiling = min(
            self.policy.backoff_max_seconds, self.policy.backoff_seconds * 2 ** (failures - 1)
        )
        return float(ceiling / 2 + self._rng.uniform(0, ceiling / 2))
