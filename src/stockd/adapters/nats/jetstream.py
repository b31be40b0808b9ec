"""The relay's publisher over NATS JetStream (nats-py), the stream it
publishes to, and reading that stream back (`stockd events tail`).

Each message carries `Nats-Msg-Id: <seq>` (JetStream drops one it holds
already, within the duplicate window) and names the message that must be
the stream's last: the first publish after each reading of the stream with
`Nats-Expected-Last-Sequence` (the stream's own sequence, as read: it also
guards an empty stream, and a server restarted after the duplicate window,
which has forgotten its last message id — NATS 2.9 does), every later one
with `Nats-Expected-Last-Msg-Id: <previous seq>`. A refusal of either is
`OutOfStep`; anything that keeps the broker from answering is
`PublisherUnavailable`, after which the connection is opened again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import (
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)

from stockd.domain.cloudevents import SUBJECT_PREFIX
from stockd.service.ports import Outgoing, OutOfStep, PublisherUnavailable

log = logging.getLogger(__name__)

MSG_ID = "Nats-Msg-Id"
EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"
EXPECTED_LAST_SEQUENCE = "Nats-Expected-Last-Sequence"
WRONG_LAST = frozenset({10070, 10071})
"""JetStream's codes for a wrong expected last message id / sequence."""
BROKEN = (
    OSError,
    TimeoutError,
    nats.errors.Error,  # includes nats' TimeoutError, NoServersError, ConnectionClosedError
)


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """The stream the relay creates when it is missing (an existing stream
    is used as it is: change it with the `nats` CLI)."""

    name: str = "STOCKD_EVENTS"
    retention: Literal["limits", "interest", "workqueue"] = "limits"
    max_age_hours: float = 168.0
    """0: keep messages forever."""
    replicas: int = 1
    duplicate_window_seconds: float = 120.0

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            description="stockd's ledger events (CloudEvents 1.0), in seq order",
            subjects=[f"{SUBJECT_PREFIX}.>"],
            retention=RetentionPolicy(self.retention),
            storage=StorageType.FILE,
            max_age=self.max_age_hours * 3600,
            num_replicas=self.replicas,
            duplicate_window=self.duplicate_window_seconds,
        )


async def connect(servers: str, name: str, *, reconnect: bool) -> Client:
    """A connection to the servers of `STOCKD_NATS_URL` (comma-separated)."""

    async def quiet(e: Exception) -> None:  # nats-py logs every error at ERROR by default
        log.debug("nats: %s", e)

    return await nats.connect(
        [s.strip() for s in servers.split(",")],
        name=name,
        allow_reconnect=reconnect,
        max_reconnect_attempts=-1,
        connect_timeout=2,
        error_cb=quiet,
    )


async def ensure_stream(js: JetStreamContext, stream: StreamSettings) -> None:
    try:
        await js.stream_info(stream.name)
    except nats.js.errors.NotFoundError:
        try:
            await js.add_stream(stream.config())
            log.info("created JetStream stream %s", stream.name)
        except nats.js.errors.BadRequestError as e:
            try:
                await js.stream_info(stream.name)  # another relay created it meanwhile
            except nats.js.errors.NotFoundError:
                # Not a race: NATS refused the stream (most often, another
                # stream already takes the subjects stockd.events.>).
                raise StreamRefused(
                    f"NATS refused to create stream {stream.name} for {SUBJECT_PREFIX}.>:"
                    f" {e.description or e}"
                ) from e


class StreamRefused(nats.errors.Error):
    """The stream does not exist and NATS will not create it."""


def message_id(headers: dict[str, str] | None) -> int | None:
    """The ledger `seq` a message carries (None: not one stockd published)."""
    found = (headers or {}).get(MSG_ID, "")
    return int(found) if found.isdigit() else None


class JetStreamPublisher:
    def __init__(self, servers: str, stream: StreamSettings, *, timeout: float = 5.0) -> None:
        self.servers = servers
        self.stream = stream
        self.timeout = timeout
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._stream_seq = 0
        """The stream's last sequence, as `last_published` read it."""

    async def prepare(self) -> None:
        if self._nc is not None and self._nc.is_connected and self._js is not None:
            return
        await self.close()
        try:
            # The relay reconnects by itself (and reads the stream again then).
            self._nc = await connect(self.servers, "stockd-relay", reconnect=False)
            self._js = self._nc.jetstream(timeout=self.timeout)
            await ensure_stream(self._js, self.stream)
        except BROKEN as e:
            await self.close()
            raise PublisherUnavailable(_describe(e)) from e

    async def last_published(self) -> int | None:
        js = self._connected()
        try:
            info = await js.stream_info(self.stream.name)
            self._stream_seq = info.state.last_seq
            if not info.state.messages:
                return None
            last = await js.get_msg(self.stream.name, info.state.last_seq)
        except BROKEN as e:
            await self.close()
            raise PublisherUnavailable(_describe(e)) from e
        seq = message_id(last.headers)
        if seq is None:
            raise PublisherUnavailable(
                f"the last message of stream {self.stream.name} ({last.subject}) has no"
                f" numeric {MSG_ID}: not published by stockd; remove it"
            )
        return seq

    async def publish(self, message: Outgoing, previous: int | None) -> None:
        js = self._connected()
        headers = {MSG_ID: str(message.seq)}
        if previous is None:
            headers[EXPECTED_LAST_SEQUENCE] = str(self._stream_seq)
        else:
            headers[EXPECTED_LAST_MSG_ID] = str(previous)
        try:
            await js.publish(
                message.subject, message.body, headers=headers, stream=self.stream.name
            )
        except nats.js.errors.APIError as e:
            if e.err_code in WRONG_LAST:
                raise OutOfStep(
                    f"the stream refused seq {message.seq}: its last message is not"
                    f" {'the one read' if previous is None else f'seq {previous}'}"
                ) from e
            await self.close()
            raise PublisherUnavailable(_describe(e)) from e
        except BROKEN as e:
            await self.close()
            raise PublisherUnavailable(_describe(e)) from e

    async def close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(*BROKEN):
                await asyncio.wait_for(nc.close(), self.timeout)

    def _connected(self) -> JetStreamContext:
        if self._js is None:
            raise PublisherUnavailable("not connected")
        return self._js


def _describe(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


async def start_after(js: JetStreamContext, stream: str, after: int) -> int:
    """The stream sequence of its first message with an id past `after`
    (the ids ascend with the stream, so a binary search finds it)."""
    state = (await js.stream_info(stream)).state
    lo, hi = state.first_seq, state.last_seq
    if not state.messages:
        return state.last_seq + 1
    while lo <= hi:
        mid = (lo + hi) // 2
        try:
            found = await js.get_msg(stream, mid)
        except nats.js.errors.NotFoundError:
            return lo  # a hole (a deleted message): read on from lo, skipping by id
        seq = message_id(found.headers)
        if seq is not None and seq <= after:
            lo = mid + 1
        else:
            hi = mid - 1
    return lo


async def follow_stream(
    servers: str, stream: str, subject: str, after: int | None
) -> AsyncIterator[tuple[int, bytes]]:
    """(id, body) of each message of `stream` on `subject` with an id past
    `after` (None: only those published from now on), live, through an
    ordered consumer (ephemeral, in stream order, recreated by nats-py if it
    falls out of step)."""
    nc = await connect(servers, "stockd-tail", reconnect=True)
    try:
        js = nc.jetstream()
        if after is None:
            config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
        else:
            config = ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=await start_after(js, stream, after),
            )
        sub = await js.subscribe(subject, stream=stream, ordered_consumer=True, config=config)
        async for msg in sub.messages:
            seq = message_id(msg.headers)
            if seq is not None and (after is None or seq > after):
                yield seq, msg.data
    finally:
        await nc.close()
