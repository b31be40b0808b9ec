"""`GET /metrics`: the process's figures in the Prometheus text format.

For now the read caches' figures (hit ratio, fallbacks, invalidation lag,
docs/caching.md); each API process answers for itself (with `serve -p N`,
a scrape reaches one of them: the figures carry its `pid`)."""

from __future__ import annotations

import os
from collections.abc import Iterator

from fastapi import APIRouter
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.responses import Response

from stockd.entrypoints.api.deps import AppContainer
from stockd.service.read_cache import LAG_BUCKETS, ReadCache

router = APIRouter(tags=["health"])


class CacheCollector:
    def __init__(self, cache: ReadCache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[Metric]:
        s = self.cache.stats
        pid = str(os.getpid())
        reads = CounterMetricFamily(
            "stockd_cache_reads",
            "Availability reads by where they were answered from (l1, l2, database)"
            " and, for the database, whether the cache was live (miss) or not (bypassed).",
            labels=["pid", "result"],
        )
        for result, n in (
            ("l1_hit", s.l1_hits),
            ("l2_hit", s.l2_hits),
            ("miss", s.misses),
            ("bypassed", s.bypassed),
        ):
            reads.add_metric([pid, result], n)
        yield reads
        yield _counter(
            "stockd_cache_l2_fallbacks",
            "Redis calls that failed or were skipped while Redis was down (reads went to"
            " the database).",
            pid,
            s.fallbacks,
        )
        yield _counter(
            "stockd_cache_invalidations", "Cached SKUs dropped by an event.", pid, s.invalidated
        )
        lag = HistogramMetricFamily(
            "stockd_cache_invalidation_lag_seconds",
            "From an event's time to its invalidation in this process: how stale a cached"
            " read can be.",
            labels=["pid"],
        )
        cumulative, buckets = 0, []
        for bound, n in zip((*LAG_BUCKETS, float("inf")), s.lag_counts, strict=True):
            cumulative += n
            buckets.append((str(bound) if bound != float("inf") else "+Inf", cumulative))
        lag.add_metric([pid], buckets, s.lag_sum)
        yield lag
        for name, doc, value in (
            (
                "stockd_cache_live",
                "1 while the cache serves (its invalidation runs).",
                self.cache.live,
            ),
            ("stockd_cache_entries", "Cached documents in this process (L1).", self.cache.size),
            (
                "stockd_cache_cursor",
                "The ledger seq invalidations are applied up to.",
                self.cache.cursor,
            ),
        ):
            gauge = GaugeMetricFamily(name, doc, labels=["pid"])
            gauge.add_metric([pid], float(value))
            yield gauge


def _counter(name: str, doc: str, pid: str, value: int) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=["pid"])
    family.add_metric([pid], value)
    return family


@router.get(
    "/metrics",
    summary="Figures for Prometheus",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(container: AppContainer) -> Response:
    """The process's figures in the Prometheus text format (no API key)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CacheCollector(container.cache))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
