"""Gathering concurrent requests: reservations into group commits, reads
into one query (`GroupRead`).

Requests that arrive while batches are being written wait for the next one;
a request that finds the queue idle waits `max_wait` seconds for company
first. At most `in_flight` batches per process are written at a time (two by
default: one can prepare while the other waits for its commit), so under load
batches grow by themselves and each costs one lock, one write and one commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from stockd.domain.commands import Reserve
from stockd.service.context import Context

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Pending:
    cmd: Reserve
    ctx: Context
    idem: Any  # messagebus.Idempotency | None (kept loose to avoid an import cycle)
    render: Any  # messagebus.Render | None
    future: asyncio.Future[Any] = field(repr=False)


RunBatch = Callable[[Sequence[Pending]], Awaitable[list[Any]]]


class GroupCommit:
    def __init__(
        self,
        run_batch: RunBatch,
        max_batch: int = 64,
        max_wait: float = 0.001,
        in_flight: int = 2,
    ) -> None:
        self.run_batch = run_batch
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.in_flight = in_flight
        self._queue: list[Pending] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, cmd: Reserve, ctx: Context, idem: Any, render: Any) -> Any:
        loop = asyncio.get_running_loop()
        pending = Pending(cmd, ctx, idem, render, loop.create_future())
        self._queue.append(pending)
        if len(self._tasks) < self.in_flight:
            task = loop.create_task(self._drain(), name="stockd-group-commit")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await pending.future

    async def _drain(self) -> None:
        if self.max_wait > 0 and len(self._queue) < self.max_batch:
            await asyncio.sleep(self.max_wait)
        while self._queue:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
            try:
                results = await self.run_batch(batch)
            except Exception as e:  # whatever went wrong, every waiter hears of it
                log.exception("reservation batch of %d failed", len(batch))
                results = [e] * len(batch)
            for pending, result in zip(batch, results, strict=True):
                if pending.future.done():  # the caller went away
                    continue
                if isinstance(result, BaseException):
                    pending.future.set_exception(result)
                else:
                    pending.future.set_result(result)


K = TypeVar("K")
V = TypeVar("V")


class GroupRead(Generic[K, V]):
    """Concurrent reads answered together: one `fetch` for the keys asked
    while the previous fetches ran (at most `in_flight` at a time, so an idle
    service answers at once and a busy one answers many asks per query).
    Every ask is answered by a fetch that started after it was made, so it
    sees every write that finished before it (read-your-writes holds)."""

    def __init__(
        self,
        fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]],
        max_batch: int = 256,
        in_flight: int = 2,
    ) -> None:
        self.fetch = fetch
        self.max_batch = max_batch
        self.in_flight = in_flight
        self._queue: list[tuple[K, asyncio.Future[V]]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def get(self, key: K) -> V:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V] = loop.create_future()
        self._queue.append((key, future))
        if len(self._tasks) < self.in_flight:
            task = loop.create_task(self._drain(), name="stockd-group-read")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
            try:
                found = await self.fetch(list(dict.fromkeys(key for key, _ in batch)))
            except Exception as e:  # every asker hears of it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(e)
                continue
            for key, future in batch:
                if future.done():
                    continue
                if key in found:
                    future.set_result(found[key])
                else:
                    future.set_exception(KeyError(f"the fetch did not answer {key!r}"))
