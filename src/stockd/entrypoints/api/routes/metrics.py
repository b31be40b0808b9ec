"""`GET /metrics`: the node's figures in the Prometheus text format.

Three sources (docs/operations.md, Monitoring, lists every metric):

- the node's counters and histograms (`stockd.adapters.prometheus`):
  requests, holds, group-commit batches, pool use — every process's, with
  `serve -p N` (multiprocess mode);
- the store's figures (ledger head, relay and webhook lag, deliveries,
  units oversold, the last reconciliation's discrepancy rate), read from
  PostgreSQL at most once a second; absent while it does not answer, and
  `stockd_store_up` says so;
- whether each dependency `/readyz` checks answers (`stockd_dependency_up`);
- the read caches' figures (hit ratio, fallbacks, invalidation lag,
  docs/caching.md) of the process that answers (they carry its `pid`)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Mapping

from fastapi import APIRouter
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.responses import Response

from stockd.adapters.prometheus import REQUESTS, exposition, sample_pool
from stockd.bootstrap import Container
from stockd.entrypoints.api.deps import AppContainer
from stockd.service import readiness
from stockd.service.ports import StoreFigures
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


def _lags(
    name: str, doc: str, label: str, cursors: Mapping[str, int], head: int
) -> GaugeMetricFamily:
    """How far behind the ledger head each consumer's cursor is."""
    family = GaugeMetricFamily(name, doc, labels=[label])
    for consumer, seq in sorted(cursors.items()):
        family.add_metric([consumer], float(head - seq))
    return family


def _counter(name: str, doc: str, pid: str, value: int) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=["pid"])
    family.add_metric([pid], value)
    return family


class StoreCollector:
    """The store's figures (None: the store did not answer)."""

    def __init__(self, figures: StoreFigures | None) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        f = self.figures
        up = GaugeMetricFamily(
            "stockd_store_up", "1 if the store's figures could be read at this scrape, else 0."
        )
        up.add_metric([], 1.0 if f is not None else 0.0)
        yield up
        if f is None:
            return
        yield _gauge("stockd_ledger_head_seq", "The ledger's highest seq.", f.ledger_head)
        yield _lags(
            "stockd_relay_lag_events",
            "Events in the ledger the relay has not yet published (head - its cursor).",
            "relay",
            f.relay_cursors,
            f.ledger_head,
        )
        yield _lags(
            "stockd_webhook_lag_events",
            "Events in the ledger an active webhook has not yet looked at (head - its cursor).",
            "webhook",
            f.webhook_cursors,
            f.ledger_head,
        )
        deliveries = GaugeMetricFamily(
            "stockd_webhook_deliveries",
            "Webhook deliveries not yet delivered, by status: pending, failed (a retry is"
            " due later) and dead (dead letters: given up on until replayed).",
            labels=["webhook", "status"],
        )
        for webhook_id in sorted({w for w, _ in f.deliveries} | set(f.webhook_cursors)):
            for status in ("pending", "failed", "dead"):
                deliveries.add_metric(
                    [webhook_id, status], float(f.deliveries.get((webhook_id, status), 0))
                )
        yield deliveries
        yield _gauge(
            "stockd_units_oversold",
            "Units below the floor their SKU's policy allows, over every level (always 0).",
            f.oversold_units,
        )
        if f.discrepancy_rate is not None:
            yield _gauge(
                "stockd_reconciliation_discrepancy_rate",
                "The discrepancy rate of the last finished reconciliation.",
                f.discrepancy_rate,
            )


class ReadinessCollector:
    """Each dependency `/readyz` checks: 1 if it answered at this scrape."""

    def __init__(self, checks: list[readiness.Check]) -> None:
        self.checks = checks

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "stockd_dependency_up",
            "1 if the dependency answered its readiness check at this scrape, else 0"
            " (required: the node is not ready without it).",
            labels=["dependency", "required"],
        )
        for c in self.checks:
            family.add_metric([c.name, str(c.required).lower()], 1.0 if c.ok else 0.0)
        yield family


async def _figures(container: Container) -> StoreFigures | None:
    return None if container.figures is None else await container.figures.get()


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc)
    family.add_metric([], float(value))
    return family


@router.get(
    "/metrics",
    summary="Figures for Prometheus",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(container: AppContainer) -> Response:
    """The node's figures in the Prometheus text format (no API key)."""
    # Both at once: while the database does not answer, a scrape takes ~1 s.
    figures, checks = await asyncio.gather(
        _figures(container), readiness.check_all(container.dependencies, within=1.0)
    )
    REQUESTS.flush()  # this process's requests up to now; the others' within a second
    sample_pool(container.pool)
    body = exposition(
        StoreCollector(figures), ReadinessCollector(checks), CacheCollector(container.cache)
    )
    return Response(body, media_type=CONTENT_TYPE_LATEST)
