"""What the service layer does for monitoring: hold refusals counted where
they are decided, and the store's figures read at most once a second.

Holds granted and expired are counted from the events each commit wrote
(`reservation.created`, `reservation.expired`), in whichever process and
path wrote them; a refusal writes no event, so it is counted here, by the
executor every `Reserve` goes through (group commit or a transaction of its
own), under its problem code."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from stockd import errors
from stockd.domain.commands import Command
from stockd.service.context import Context
from stockd.service.messagebus import Executor, Idempotency, Render
from stockd.service.ports import HoldMetrics, StoreFigureReader, StoreFigures

log = logging.getLogger(__name__)


class CountedHolds:
    """An executor for `Reserve` that reports each refusal to `metrics`
    (by its problem code) and runs the command through `inner`."""

    def __init__(self, inner: Executor, metrics: HoldMetrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def __call__(
        self, cmd: Command, ctx: Context, idem: Idempotency | None, render: Render | None
    ) -> Any:
        try:
            return await self.inner(cmd, ctx, idem, render)
        except errors.StockdError as e:
            self.metrics.refused(e.code)
            raise


class CachedFigures:
    """The store's figures, read at most once per `ttl` seconds and given up
    on after `timeout` seconds: many scrapes cost the database one read, and
    a scrape while the database is down still answers (without them)."""

    def __init__(self, reader: StoreFigureReader, *, ttl: float = 1.0, timeout: float = 1.0):
        self.reader = reader
        self.ttl = ttl
        self.timeout = timeout
        self._read_at = float("-inf")
        self._last: StoreFigures | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> StoreFigures | None:
        """The figures, or None if the store did not answer (in time)."""
        async with self._lock:  # concurrent scrapes share one read
            if time.monotonic() - self._read_at < self.ttl:
                return self._last
            try:
                self._last = await asyncio.wait_for(self.reader.figures(), self.timeout)
            except Exception as e:  # any failure: the figures are absent, the scrape answers
                log.warning("monitoring: the store's figures could not be read (%r)", e)
                self._last = None
            self._read_at = time.monotonic()
            return self._last
