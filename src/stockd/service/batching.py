"""Gathering concurrent reservation requests into group commits.

Requests that arrive while batches are being written wait for the next one;
a request that finds the queue idle waits `max_wait` seconds for company
first. At most `in_flight` batches per process are written at a time (two by
default: one can prepare while the other waits for its commit), so under load
batches grow by themselves and each costs one lock, one write and one commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

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
