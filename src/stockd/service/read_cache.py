"""Caches for the storefront reads: L1 in each process, L2 shared (Redis).

What is cached is a rendered read document (the bytes of an availability
answer), filed under its SKU and a field naming the read (`a` for
`GET /v1/availability/{sku}`, `c:<channel>` for a channel's). Holds, orders
and adjustments never read from here: they decide in PostgreSQL.

Invalidation follows the event stream, like every other consumer: each
process reads the ledger by `seq` after its cursor as the watch hears the
head move (`run`), and drops the entries of the SKUs the events touched, in
L1 and L2; an event about no SKU that can change what a read shows (a
location, a channel) drops everything. So a change made through any node is
gone from every cache within the invalidation lag (exposed as a metric),
and never later than the TTLs (`STOCKD_CACHE_TTL_SECONDS`, L1;
`STOCKD_CACHE_L2_TTL_SECONDS`, L2), whatever fails.

- A read that loads from the database while an invalidation of its SKU
  lands does not store what it read (it may predate the change); L2 entries
  carry the ledger position they include (`as_of`) and Redis refuses one
  older than the SKU's last invalidation, so a slow reader on one node
  cannot put back what another node's invalidation removed.
- Read-your-writes through the process that wrote: when a unit of work of
  this process commits (`committed`, with its events), the answers of the
  SKUs it changed leave L1 and are read past L2 until the invalidation has
  caught up with that commit.
- The cache serves only while its invalidation runs (`live`); otherwise
  every read goes to the database. When L2 fails, reads use L1 and the
  database, nothing is surfaced, and L2 is tried again after
  `retry_seconds`; if an invalidation could not reach it, L2 is emptied
  (a new generation) before it is used again.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from stockd.domain.events import Event, Movement, sku_of
from stockd.service.ports import Clock, LedgerWatch, SharedCache, SharedCacheDown
from stockd.service.queries import LedgerRecord, ReadModel

log = logging.getLogger(__name__)

PAGE = 1000
"""Events one invalidation read takes from the ledger."""

SKIP_AFTER = 32
"""Without L2, an invalidation this many `seq` behind drops all of L1
rather than read the events (under a stream of writes, reading them cost
more than the cache saved)."""

EVERYTHING = "*"
"""`touched`: the event may change any SKU's reads."""

_WHOLE_FAMILIES = frozenset({"location", "channel"})
"""Families whose events change reads of SKUs they do not name (a location's
name or state in every availability answer; a channel's shares in every
channel read)."""

LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Upper bounds (seconds) of the invalidation lag histogram."""


def touched(event: Event) -> str | None:
    """Whose cached reads `event` may change: a SKU, `EVERYTHING`, or None."""
    if isinstance(event, Movement):
        return event.key.sku
    if event.type.split(".", 1)[0] in _WHOLE_FAMILIES:
        return EVERYTHING
    if event.type.startswith("sku."):
        return sku_of(event)
    return None  # orders, transfers, keys, webhooks: their movements say it


@dataclass
class CacheStats:
    """What the cache did since the process started (the `/metrics` figures)."""

    l1_hits: int = 0
    l2_hits: int = 0
    misses: int = 0
    bypassed: int = 0
    """Reads that went to the database because the cache was not live."""
    fallbacks: int = 0
    """L2 reads or writes that failed or were skipped while L2 was down."""
    invalidated: int = 0
    """Entries (SKUs) dropped by invalidations."""
    lag_counts: list[int] = field(default_factory=lambda: [0] * (len(LAG_BUCKETS) + 1))
    lag_sum: float = 0.0
    lag_last: float = 0.0
    """Seconds from an event's time to its invalidation here, last seen."""

    def observe_lag(self, seconds: float) -> None:
        self.lag_counts[bisect.bisect_left(LAG_BUCKETS, seconds)] += 1
        self.lag_sum += seconds
        self.lag_last = seconds


Load = Callable[[], Awaitable[bytes | None]]


class ReadCache:
    def __init__(
        self,
        reads: ReadModel,
        watch: LedgerWatch,
        clock: Clock,
        *,
        ttl: float,
        max_entries: int = 10_000,
        shared: SharedCache | None = None,
        shared_ttl: float = 30.0,
        retry_seconds: float = 1.0,
        idle: float = 1.0,
    ) -> None:
        self.reads = reads
        self.watch = watch
        self.clock = clock
        self.ttl = ttl
        self.max_entries = max_entries
        self.shared = shared
        self.shared_ttl = shared_ttl
        self.retry_seconds = retry_seconds
        self.idle = idle
        self.stats = CacheStats()
        self.live = False
        self.cursor = 0
        """The ledger position invalidations have been applied up to."""
        self._heard = 0
        # Insertion-ordered, evicted from the front: an OrderedDict, since
        # a plain dict's first key gets slower to find after each deletion.
        self._entries: OrderedDict[str, dict[str, tuple[float, bytes]]] = OrderedDict()
        self._loading: dict[tuple[str, str], asyncio.Future[bytes | None]] = {}
        self._stale: set[asyncio.Future[bytes | None]] = set()
        self._commits = 0
        """Units of work of this process that wrote events."""
        self._caught_up = 0
        """`_commits` as the last completed invalidation pass began."""
        self._written: dict[str, int] = {}
        """SKUs written by this process: the `_commits` of the last write."""
        self._written_all = 0
        self._advancing = asyncio.Lock()
        self._shared_down_until = 0.0
        self._shared_lost = False
        self._shared_failures = 0

    @property
    def size(self) -> int:
        return sum(len(x) for x in self._entries.values())

    # -- reads ------------------------------------------------------------

    async def get(self, sku: str, field: str, load: Load) -> bytes | None:
        """The cached document, else what `load` renders from the database
        (None: nothing to cache, e.g. an unknown SKU)."""
        if not self.live:
            self.stats.bypassed += 1
            return await load()
        entry = self._entries.get(sku, {}).get(field)
        if entry is not None and entry[0] > time.monotonic():
            self.stats.l1_hits += 1
            return entry[1]
        key = (sku, field)
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        pending = asyncio.get_running_loop().create_future()
        self._loading[key] = pending
        try:
            value = await self._load(sku, field, load)
        except BaseException as e:
            pending.set_exception(e)
            pending.exception()  # retrieved: the waiters, if any, get it too
            raise
        finally:
            if self._loading.get(key) is pending:
                del self._loading[key]
            stale = pending in self._stale
            self._stale.discard(pending)
        pending.set_result(value)
        if not stale and value is not None and self.live:
            self._store(sku, field, value)
        return value

    async def through(self, seq: int) -> None:
        """Apply the invalidations up to `seq` now, if not yet applied: a
        consumer told of an event by this process (the event stream) then
        reads what follows it."""
        if self.live and self.cursor < seq:
            await self._advance()

    def committed(self, events: Iterable[Event]) -> None:
        """A unit of work of this process committed these events: this
        process must not read what they changed from a cache. Their SKUs'
        answers leave L1 (loads under way are not kept) and are read past
        L2 until the invalidation has caught up with this commit."""
        self._commits += 1
        skus: set[str] = set()
        for event in events:
            whose = touched(event)
            if whose == EVERYTHING:
                self._written_all = self._commits
                self._drop(list(self._entries), every=True)
                return
            if whose is not None:
                skus.add(whose)
        for sku in skus:
            self._written[sku] = self._commits
        self._drop(skus)

    def _written_since(self, sku: str) -> bool:
        """Whether a commit of this process changed `sku` after the last
        invalidation pass began."""
        return max(self._written_all, self._written.get(sku, 0)) > self._caught_up

    async def _load(self, sku: str, field: str, load: Load) -> bytes | None:
        as_of = self.cursor  # every event up to here is in what load reads
        # L2 may still hold what a commit of this process changed until the
        # invalidation has caught up with it.
        shared = not self._written_since(sku) and self._shared_usable()
        if shared:
            assert self.shared is not None
            try:
                found = await self.shared.get(sku, field)
            except SharedCacheDown as e:
                self._shared_failed(e)
            else:
                if found is not None:
                    self.stats.l2_hits += 1
                    return found
        self.stats.misses += 1
        value = await load()
        if value is not None and shared and self._shared_usable():
            assert self.shared is not None
            try:
                await self.shared.put(sku, field, value, as_of, self.shared_ttl)
            except SharedCacheDown as e:
                self._shared_failed(e)
        return value

    def _store(self, sku: str, field: str, value: bytes) -> None:
        if self.ttl <= 0:
            return
        fields = self._entries.get(sku)
        if fields is None:
            if len(self._entries) >= self.max_entries:
                self._entries.popitem(last=False)  # the oldest SKU
            fields = self._entries[sku] = {}
        fields[field] = (time.monotonic() + self.ttl, value)

    # -- L2 health --------------------------------------------------------

    def _shared_usable(self) -> bool:
        if self.shared is None:
            return False
        if time.monotonic() < self._shared_down_until:
            self.stats.fallbacks += 1
            return False
        return not self._shared_lost

    def _shared_failed(self, error: Exception) -> None:
        if time.monotonic() >= self._shared_down_until:
            log.warning(
                "the shared cache did not answer (%s); reads use the database for %ss",
                error,
                self.retry_seconds,
            )
        self.stats.fallbacks += 1
        self._shared_failures += 1
        self._shared_down_until = time.monotonic() + self.retry_seconds

    async def _recover_shared(self) -> None:
        """After invalidations missed L2: empty it before it is used again."""
        if not self._shared_lost or self.shared is None:
            return
        if time.monotonic() < self._shared_down_until:
            return
        try:
            await self.shared.invalidate_all()
        except SharedCacheDown as e:
            self._shared_failed(e)
        else:
            self._shared_lost = False
            if self._shared_failures:
                log.info("the shared cache answers again (emptied: it missed invalidations)")
            self._shared_failures = 0

    # -- invalidation -----------------------------------------------------

    async def run(self) -> None:
        """Follow the ledger and invalidate, until cancelled. The cache is
        live only while this runs and has caught up once."""
        while True:
            try:
                await self._start()
                while True:
                    await self._advance()
                    await self._recover_shared()
                    self._heard = await self.watch.wait_past(self.cursor, self.idle)
            except asyncio.CancelledError:
                self._halt()
                raise
            except Exception:
                log.exception("cache invalidation failed; the cache is off until it resumes")
                self._halt()
                await asyncio.sleep(self.retry_seconds)

    async def _start(self) -> None:
        self.cursor = self._heard = await self.reads.ledger_head()
        if self.shared is not None:
            # Events committed while no invalidation ran may have left L2
            # entries behind: start it afresh.
            self._shared_lost = True
            await self._recover_shared()
        self._caught_up = self._commits
        self.live = True

    def _halt(self) -> None:
        self.live = False
        self._entries.clear()
        self._stale.update(self._loading.values())
        self._loading.clear()

    async def _advance(self) -> None:
        """Apply every event committed so far (one pass at a time); then
        L2 is caught up with the local commits made before the pass."""
        async with self._advancing:
            seen = self._commits
            while True:
                if self.shared is None and (
                    (not self._entries and not self._loading)
                    or self._heard - self.cursor > SKIP_AFTER
                ):
                    # Nothing cached to drop, or so many events behind that
                    # dropping everything is cheaper than reading them (a
                    # burst of writes costs no ledger reads): loads from now
                    # on read after everything heard of.
                    self._drop(list(self._entries), every=True)
                    self.cursor = max(self.cursor, self._heard)
                    break
                found = await self.reads.events(self.cursor, PAGE)
                if not found:
                    break
                await self._apply(found)
                if len(found) < PAGE:
                    break
            self._caught_up = seen
            if self._written:
                self._written = {k: n for k, n in self._written.items() if n > seen}

    async def _apply(self, records: list[LedgerRecord]) -> None:
        marks: dict[str, int] = {}
        everything = False
        for record in records:
            whose = touched(record.event)
            if whose == EVERYTHING:
                everything = True
            elif whose is not None:
                marks[whose] = record.seq
        if everything:
            self._drop(list(self._entries), every=True)
        else:
            self._drop(marks)
        if self.shared is not None and not self._shared_lost and (marks or everything):
            try:
                if everything:
                    await self.shared.invalidate_all()
                else:
                    await self.shared.invalidate(marks, self.shared_ttl)
            except SharedCacheDown as e:
                self._shared_lost = True  # emptied before it is used again
                self._shared_failed(e)
        self.cursor = records[-1].seq
        self._observe(records[-1].event.at)

    def _drop(self, skus: Iterable[str], *, every: bool = False) -> None:
        skus = set(skus)
        for sku in skus:
            if self._entries.pop(sku, None) is not None:
                self.stats.invalidated += 1
        # Loads under way may have read before the change: they answer their
        # callers but store nothing, and later reads load afresh.
        for key in [k for k in self._loading if every or k[0] in skus]:
            self._stale.add(self._loading.pop(key))

    def _observe(self, at: datetime) -> None:
        self.stats.observe_lag(max(0.0, (self.clock.now() - at).total_seconds()))
