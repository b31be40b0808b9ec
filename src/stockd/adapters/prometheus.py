"""stockd's own figures in `prometheus_client` metrics, and their exposition.

One process (`stockd serve`) keeps them in memory. With several processes
(`stockd serve -p N`: N API processes and one for the workers) serve sets
`PROMETHEUS_MULTIPROC_DIR` before it starts them: each process then writes
its figures to files there, and a scrape of any API process reads every
process's files (`MultiProcessCollector`), so one scrape shows the whole
node. The variable must be set before `prometheus_client` is first
imported in a process (it picks its storage then): serve sets it before it
starts the processes.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence

import asyncpg
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from stockd.domain.events import Event, ReservationExpired, Reserved

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REGISTRY = CollectorRegistry(auto_describe=True)
"""This process's metrics (what a scrape shows without multiprocess mode)."""

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000)

HTTP_REQUESTS = Counter(
    "stockd_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "stockd_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
HOLDS_GRANTED = Counter(
    "stockd_holds_granted",
    "Holds (reservations) granted: committed `reservation.created` events, one per hold.",
    registry=REGISTRY,
)
HOLDS_REFUSED = Counter(
    "stockd_holds_refused",
    "Holds refused, by the problem code of the refusal (insufficient_stock, …).",
    ["reason"],
    registry=REGISTRY,
)
HOLDS_EXPIRED = Counter(
    "stockd_holds_expired",
    "Holds that passed their deadline and were expired (`reservation.expired`, one per hold).",
    registry=REGISTRY,
)
BATCH_SIZE = Histogram(
    "stockd_group_commit_batch_size",
    "Holds decided together in one group-commit batch.",
    buckets=BATCH_BUCKETS,
    registry=REGISTRY,
)
POOL_CONNECTIONS = Gauge(
    "stockd_db_pool_connections",
    "Connections of the database pools of the node's live processes, by state (busy, idle).",
    ["state"],
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
POOL_MAX = Gauge(
    "stockd_db_pool_max_connections",
    "The most connections the node's live processes' pools may open.",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
_BUSY = POOL_CONNECTIONS.labels("busy")
_IDLE = POOL_CONNECTIONS.labels("idle")
_REFUSED: dict[str, Counter] = {}


class PrometheusHoldMetrics:
    """`ports.HoldMetrics` in prometheus_client metrics."""

    def refused(self, code: str) -> None:
        child = _REFUSED.get(code)
        if child is None:
            child = _REFUSED[code] = HOLDS_REFUSED.labels(code)
        child.inc()

    def batch(self, size: int) -> None:
        BATCH_SIZE.observe(size)


def count_committed(events: Sequence[Event]) -> None:
    """Count the holds granted and expired among a commit's events (one
    event per line: a hold is counted once, by its reservation id)."""
    granted: set[str | None] | None = None
    expired: set[str | None] | None = None
    for event in events:
        kind = type(event)
        if kind is Reserved:
            if granted is None:
                granted = set()
            granted.add(event.reservation_id)
        elif kind is ReservationExpired:
            if expired is None:
                expired = set()
            expired.add(event.reservation_id)
    if granted:
        HOLDS_GRANTED.inc(len(granted))
    if expired:
        HOLDS_EXPIRED.inc(len(expired))


class RequestFigures:
    """Requests counted and timed in plain dicts, added to `HTTP_REQUESTS`
    and `HTTP_DURATION` by `flush` (once a second, before each scrape of
    this process, and as it stops).

    Updating the metrics at every request cost ~8 µs in multiprocess mode
    (an mmap write per counter, bucket and sum), ~5% of a storefront read's
    time in the API process (docs/benchmarks.md, issue #11); a dict update
    costs a tenth of that. A scrape shows another process's requests up to
    a second late."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}
        self._durations: dict[tuple[str, str], list[float]] = {}

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        counts = self._counts
        counts[key] = counts.get(key, 0) + 1
        timed = self._durations.get((method, route))
        if timed is None:
            # A count per bucket (the last one +Inf), then the sum.
            timed = self._durations[(method, route)] = [0.0] * (len(LATENCY_BUCKETS) + 2)
        # `le` buckets: the first bound at or above the duration, as observe() does.
        timed[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        timed[-1] += seconds

    def flush(self) -> None:
        counts, self._counts = self._counts, {}
        durations, self._durations = self._durations, {}
        for (method, route, status), n in counts.items():
            HTTP_REQUESTS.labels(method, route, str(status)).inc(n)
        for (method, route), timed in durations.items():
            child = HTTP_DURATION.labels(method, route)
            # Histogram.observe() n times over, in one step per bucket: its
            # buckets (not cumulative) and sum are values it keeps per child.
            for bucket, seen in zip(child._buckets, timed[:-1], strict=True):
                if seen:
                    bucket.inc(seen)
            child._sum.inc(timed[-1])


REQUESTS = RequestFigures()
"""This process's requests not yet added to the metrics."""


def sample_pool(pool: asyncpg.Pool | None) -> None:
    """Record how much of this process's pool is in use."""
    if pool is None:
        return
    size, idle = pool.get_size(), pool.get_idle_size()
    _BUSY.set(size - idle)
    _IDLE.set(idle)
    POOL_MAX.set(pool.get_max_size())


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def process_ended(pid: int) -> None:
    """Forget a process's live gauges (multiprocess mode; call as it ends)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class _Together:
    def __init__(self, collectors: Iterable[Collector]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def exposition(*extra: Collector) -> bytes:
    """The node's metrics (every process's, in multiprocess mode) and
    `extra` collectors' in the Prometheus text format."""
    path = multiprocess_dir()
    if path:
        node = CollectorRegistry()
        multiprocess.MultiProcessCollector(node, path)  # type: ignore[no-untyped-call]
    else:
        node = REGISTRY
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Together([node, *extra]))
    return generate_latest(registry)
