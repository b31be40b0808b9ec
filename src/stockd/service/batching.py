"""Gathering concurrent requests: reservations into group commits, reads
into one query. One mechanism, `Gather`, serves both.

Requests that arrive while batches are being run wait for the next one; a
request that finds the queue idle waits `max_wait` seconds for company first
(none for reads). At most `in_flight` batches per process run at a time (two
by default: one can prepare while the other waits for its commit or its
rows), so under load batches grow by themselves. Every request is answered
by a batch that started after it arrived, and every request is answered:
whatever `run` does (raises, is cancelled, returns the wrong number of
results), each waiter hears of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K")
V = TypeVar("V")


class Gather(Generic[T, R]):
    """Items submitted concurrently, run in batches by `run`, which returns one
    result per item, in order (an exception instance is raised to its
    submitter)."""

    def __init__(
        self,
        run: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]],
        max_batch: int,
        max_wait: float = 0.0,
        in_flight: int = 2,
        name: str = "stockd-gather",
    ) -> None:
        self.run = run
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.in_flight = in_flight
        self.name = name
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._draining = 0
        """Drain tasks that have not yet left their loop. Counted down in the
        same step as a drain's last look at the queue, so a submit can never
        find a drain that is about to leave without running its item."""
        self._tasks: set[asyncio.Task[None]] = set()  # strong references

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._queue.append((item, future))
        self._start_drain(loop)
        return await future

    def _start_drain(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._draining < self.in_flight:
            self._draining += 1
            task = loop.create_task(self._drain(), name=self.name)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        try:
            if self.max_wait > 0 and len(self._queue) < self.max_batch:
                await asyncio.sleep(self.max_wait)
            while self._queue:
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
                await self._run(batch)
        finally:
            self._draining -= 1
            if self._queue:  # left early (cancelled): someone must run the rest
                self._start_drain(asyncio.get_running_loop())

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self.run([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{self.name}: {len(results)} results for {len(batch)} items")
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except BaseException as e:
            if isinstance(e, Exception):
                log.exception("%s: a batch of %d failed", self.name, len(batch))
                failure: Exception = e
            else:
                failure = RuntimeError(f"{self.name}: the batch was aborted ({e!r})")
            for _, future in batch:
                if not future.done():
                    future.set_exception(failure)
            if not isinstance(e, Exception):
                raise
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller went away
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)


class GroupRead(Generic[K, V]):
    """Concurrent reads answered together: one `fetch` for the keys asked
    while the previous fetches ran. Every ask is answered by a fetch that
    started after it was made, so it sees every write that finished before it
    (read-your-writes holds)."""

    def __init__(
        self,
        fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]],
        max_batch: int = 256,
        in_flight: int = 2,
    ) -> None:
        self.fetch = fetch
        self._gather: Gather[K, V] = Gather(
            self._run, max_batch, in_flight=in_flight, name="stockd-group-read"
        )

    async def get(self, key: K) -> V:
        return await self._gather.submit(key)

    async def _run(self, keys: list[K]) -> list[V | BaseException]:
        found = await self.fetch(list(dict.fromkeys(keys)))
        return [
            found[k] if k in found else KeyError(f"the fetch did not answer {k!r}") for k in keys
        ]
