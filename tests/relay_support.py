"""Helpers for the relay's tests: reading a stream back, waiting for it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import nats
import orjson
from nats.js.api import DeliverPolicy

from stockd.domain.adjustments import Change
from stockd.domain.commands import Adjust
from stockd.domain.quantities import LevelKey, State
from tests.support import ADMIN


async def stream_messages(url: str, stream: str) -> list[tuple[str, dict[str, str], Any]]:
    """Every message the stream holds, in its order: (subject, headers, body)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        count = (await js.stream_info(stream)).state.messages
        out: list[tuple[str, dict[str, str], Any]] = []
        if not count:
            return out
        sub = await js.subscribe(
            "stockd.events.>",
            stream=stream,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
        )
        while len(out) < count:
            msg = await sub.next_msg(timeout=10)
            out.append((msg.subject, dict(msg.headers or {}), orjson.loads(msg.data)))
        await sub.unsubscribe()
        return out
    finally:
        await nc.close()


async def stream_ids(url: str, stream: str) -> list[int]:
    return [int(headers["Nats-Msg-Id"]) for _, headers, _ in await stream_messages(url, stream)]


async def last_id(url: str, stream: str) -> int:
    """The Nats-Msg-Id of the stream's last message (0: none, or no stream)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(stream)
        except nats.js.errors.NotFoundError:
            return 0
        if not info.state.messages:
            return 0
        msg = await js.get_msg(stream, info.state.last_seq)
        return int((msg.headers or {})["Nats-Msg-Id"])
    finally:
        await nc.close()


async def wait_for_id(url: str, stream: str, seq: int, within: float = 30) -> None:
    """Until the stream's last message is `seq`."""
    deadline = time.monotonic() + within
    last = -1
    while time.monotonic() < deadline:
        try:
            last = await last_id(url, stream)
        except (OSError, nats.errors.Error):
            last = -1
        if last >= seq:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the stream got to seq {last}, not {seq}, within {within} s")


def adjustments(n: int, skus: list[str], location: str) -> Adjust:
    """One transaction of `n` events: +1 on hand, round the SKUs."""
    return Adjust(
        tuple(
            Change(LevelKey(skus[i % len(skus)], location), State.ON_HAND, "relay test", delta=1)
            for i in range(n)
        )
    )


async def write_events(
    bus: Any, total: int, skus: list[str], location: str, batch: int = 100
) -> None:
    for _ in range(total // batch):
        await bus.handle(adjustments(batch, skus, location), ADMIN)
