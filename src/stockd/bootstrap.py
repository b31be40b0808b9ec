"""Wiring: adapters to ports, handlers to the bus. The only place that does it."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg

from stockd.adapters import probes
from stockd.adapters.clock import SystemClock
from stockd.adapters.nats.jetstream import JetStreamPublisher, StreamSettings
from stockd.adapters.postgres.channel_figures import PostgresChannelFigures
from stockd.adapters.postgres.figures import PostgresFigures
from stockd.adapters.postgres.keys import PostgresApiKeyStore
from stockd.adapters.postgres.leadership import RECONCILE_LOCK, PostgresLeadership
from stockd.adapters.postgres.maintenance import PostgresMaintenance
from stockd.adapters.postgres.pool import create_pool
from stockd.adapters.postgres.reads import PostgresReadModel
from stockd.adapters.postgres.reconcile.checks import CHECKS
from stockd.adapters.postgres.reconcile.drift import drift_check
from stockd.adapters.postgres.reconcile.examiner import PostgresExaminer
from stockd.adapters.postgres.reconcile.store import PostgresReconcileStore
from stockd.adapters.postgres.relay_cursors import PostgresRelayCursors
from stockd.adapters.postgres.supply import PostgresSupplyReader
from stockd.adapters.postgres.uow import PostgresUnitOfWorkFactory
from stockd.adapters.postgres.watch import PostgresLedgerAnnouncer, PostgresLedgerWatch
from stockd.adapters.postgres.webhooks import PostgresWebhookStore
from stockd.adapters.prometheus import PrometheusHoldMetrics, count_committed
from stockd.adapters.redis_cache import RedisSharedCache
from stockd.adapters.webhook_http import HttpWebhookSender
from stockd.config import Settings
from stockd.domain.commands import Reserve
from stockd.domain.events import Event
from stockd.domain.promise import Terms
from stockd.domain.reservations import TtlPolicy
from stockd.service.auth import ApiKeyStore, Authenticator
from stockd.service.channel_drift import ChannelDrifts
from stockd.service.context import Deps
from stockd.service.group_commit import ReservationGroupCommit
from stockd.service.handlers import HANDLERS
from stockd.service.maintenance import Maintenance
from stockd.service.messagebus import Executor, MessageBus
from stockd.service.monitoring import CachedFigures, CountedHolds
from stockd.service.ports import (
    ChannelFigureStore,
    Clock,
    HoldMetrics,
    LedgerWatch,
    SharedCache,
    SupplyReader,
    UnitOfWorkFactory,
)
from stockd.service.promising import Horizon, Promises
from stockd.service.queries import AvailabilityReader, ReadModel
from stockd.service.read_cache import ReadCache
from stockd.service.readiness import Dependency, Probe
from stockd.service.rebalancing import RebalancePolicy
from stockd.service.reconciliation import Reconciler
from stockd.service.relay import Relay, RelayPolicy
from stockd.service.webhooks import Policy, Webhooks


@dataclass
class Container:
    settings: Settings
    clock: Clock
    bus: MessageBus
    reads: ReadModel
    keys: ApiKeyStore
    auth: Authenticator
    maintenance: Maintenance
    availability: AvailabilityReader
    watch: LedgerWatch
    cache: ReadCache
    """The storefront reads' caches (L1, and L2 with STOCKD_REDIS_URL)."""
    promises: Promises
    """Available-to-promise and delivery-date promises."""
    pool: asyncpg.Pool | None = None
    announcer: PostgresLedgerAnnouncer | None = None
    webhooks: Webhooks | None = None
    """None over the in-memory fakes: webhooks need PostgreSQL."""
    closers: tuple[Any, ...] = ()
    database_url: str | None = None
    """The PostgreSQL it was built over (None over the in-memory fakes)."""
    channel_drift: ChannelDrifts | None = None
    """What channels were sent against what stockd computes (channel drift)."""
    figures: CachedFigures | None = None
    """The store's figures for `/metrics` (read at most once a second)."""
    dependencies: tuple[Dependency, ...] = ()
    """What `/readyz` checks."""

    async def close(self) -> None:
        if self.webhooks is not None:
            await self.webhooks.stop()
        for closer in self.closers:
            await closer.close()
        await self.watch.close()
        if self.announcer is not None:
            await self.announcer.close()
        if self.pool is not None:
            await self.pool.close()


def new_id(prefix: str) -> str:
    """`prefix_` + 12 hex digits of Unix milliseconds + 16 random hex digits.

    Ids in time order land at the right edge of the primary-key indexes
    (reservations, their lines, returns, transfers), as a sequence would:
    random ids scatter inserts over the whole index, which measurably slowed
    holds once the tables outgrew memory (docs/benchmarks.md, data size).
    64 random bits keep ids of the same millisecond apart."""
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(8)}"


def deps_for(settings: Settings, clock: Clock) -> Deps:
    return Deps(
        clock=clock,
        ttl=TtlPolicy(
            settings.reservation_default_ttl_seconds, settings.reservation_max_ttl_seconds
        ),
        default_strategy=settings.default_strategy,
        new_id=new_id,
        production_window_weeks=settings.production_window_weeks,
        transfer_transit=timedelta(days=settings.transfer_default_days),
    )


def message_bus(
    uow: UnitOfWorkFactory,
    settings: Settings,
    clock: Clock,
    metrics: HoldMetrics | None = None,
) -> MessageBus:
    """The bus with every handler, and group commit for reservations (unless
    `group_commit_max_batch` is 1: each hold is then a transaction of its own);
    with `metrics`, hold refusals and batch sizes are reported to it."""
    deps = deps_for(settings, clock)
    bus = MessageBus(uow, deps, HANDLERS)
    holds: Executor | None = None
    if settings.group_commit_max_batch > 1:
        holds = ReservationGroupCommit(
            bus,
            uow,
            deps,
            max_batch=settings.group_commit_max_batch,
            max_wait=settings.group_commit_wait_ms / 1000,
            in_flight=settings.group_commit_in_flight,
            metrics=metrics,
        )
    if metrics is not None:
        holds = CountedHolds(holds or bus.run, metrics)
    if holds is not None:
        bus.execute_with(Reserve, holds)
    return bus


async def build(settings: Settings, url: str, clock: Clock | None = None) -> Container:
    """Everything the API, CLI and workers need, over PostgreSQL at `url`."""
    clock = clock or SystemClock()
    pool = await create_pool(
        url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        lock_timeout_ms=settings.lock_timeout_ms,
    )
    keys = PostgresApiKeyStore(pool)
    announcer = PostgresLedgerAnnouncer(url)
    reads = PostgresReadModel(pool)
    availability = AvailabilityReader(reads, clock)
    webhook_store = PostgresWebhookStore(pool, url)
    sender = HttpWebhookSender(settings.webhooks_timeout_seconds, settings.webhooks_allow_private)
    watch = PostgresLedgerWatch(url)
    shared = (
        RedisSharedCache(
            settings.redis_url,
            namespace=settings.cache_namespace,
            timeout=settings.cache_l2_timeout_seconds,
        )
        if settings.redis_url
        else None
    )
    cache = read_cache(settings, reads, watch, clock, shared)

    def committed(events: Sequence[Event]) -> None:
        announcer.committed()
        cache.committed(events)
        count_committed(events)

    container = Container(
        settings=settings,
        clock=clock,
        bus=message_bus(
            PostgresUnitOfWorkFactory(pool, committed), settings, clock, PrometheusHoldMetrics()
        ),
        reads=reads,
        keys=keys,
        auth=Authenticator(keys, settings.auth_cache_seconds),
        maintenance=PostgresMaintenance(pool),
        availability=availability,
        watch=watch,
        cache=cache,
        promises=promises(settings, PostgresSupplyReader(pool, reads), clock),
        pool=pool,
        announcer=announcer,
        webhooks=Webhooks(
            webhook_store, sender, reads, availability, clock, webhook_policy(settings)
        ),
        closers=(webhook_store, sender, *([shared] if shared is not None else [])),
        database_url=url,
        figures=CachedFigures(PostgresFigures(pool)),
        dependencies=dependencies(settings, probes.database(pool), shared),
    )
    container.channel_drift = channel_drifts(container, PostgresChannelFigures(pool))
    return container


def promises(settings: Settings, supply: SupplyReader, clock: Clock) -> Promises:
    """ATP and promises over `supply`, with the settings' terms and horizon."""
    terms = Terms(
        handling_days=settings.promise_handling_days,
        delivery_window_days=settings.promise_delivery_window_days,
        on_hand_buffer_days=settings.promise_on_hand_buffer_days,
        supplier_buffer_days=settings.promise_supplier_buffer_days,
        transit_days=settings.promise_transit_days,
        km_per_day=settings.promise_transit_km_per_day,
        min_transit_days=settings.promise_transit_min_days,
        default_transit_days=settings.promise_transit_default_days,
    )
    horizon = Horizon(settings.atp_default_days, settings.atp_max_days)
    return Promises(supply, clock, terms, horizon)


def channel_drifts(container: Container, store: ChannelFigureStore) -> ChannelDrifts:
    """Channel drift over `store`, with the container's reads, bus and clock."""
    return ChannelDrifts(
        store,
        container.reads,
        container.availability,
        container.bus,
        container.clock,
        container.settings.channel_drift_grace_seconds,
    )


def dependencies(
    settings: Settings, database: Probe, shared: RedisSharedCache | None = None
) -> tuple[Dependency, ...]:
    """What `/readyz` checks: the database (required), Redis and NATS when
    they are set (reported, not required: docs/operations.md, Readiness)."""
    found = [Dependency("database", True, database)]
    if shared is not None:
        found.append(Dependency("redis", False, probes.redis(shared)))
    if settings.nats_url:
        found.append(Dependency("nats", False, probes.nats(settings.nats_url)))
    return tuple(found)


def read_cache(
    settings: Settings,
    reads: ReadModel,
    watch: LedgerWatch,
    clock: Clock,
    shared: SharedCache | None = None,
) -> ReadCache:
    return ReadCache(
        reads,
        watch,
        clock,
        ttl=settings.cache_ttl_seconds,
        max_entries=settings.cache_max_skus,
        shared=shared,
        shared_ttl=settings.cache_l2_ttl_seconds,
    )


def stream_settings(settings: Settings) -> StreamSettings:
    return StreamSettings(
        name=settings.nats_stream,
        retention=settings.nats_retention,
        max_age_hours=settings.nats_max_age_hours,
        replicas=settings.nats_replicas,
        duplicate_window_seconds=settings.nats_duplicate_window_seconds,
    )


def relay(container: Container) -> Relay | None:
    """The relay to NATS JetStream, or None without STOCKD_NATS_URL (or
    over the in-memory fakes)."""
    settings = container.settings
    if not settings.nats_url or container.pool is None or container.database_url is None:
        return None
    return Relay(
        container.reads,
        container.watch,
        JetStreamPublisher(settings.nats_url, stream_settings(settings)),
        PostgresLeadership(container.database_url),
        PostgresRelayCursors(container.pool),
        RelayPolicy(source=settings.events_source),
    )


def rebalance_policy(settings: Settings) -> RebalancePolicy:
    return RebalancePolicy(
        window_seconds=round(settings.rebalance_window_days * 86_400),
        threshold_pct=settings.rebalance_threshold_pct,
        max_move_pct=settings.rebalance_max_move_pct,
    )


def webhook_policy(settings: Settings) -> Policy:
    return Policy(
        max_attempts=settings.webhooks_max_attempts,
        backoff_seconds=settings.webhooks_backoff_seconds,
        backoff_max_seconds=settings.webhooks_backoff_max_seconds,
        coalesce_seconds=settings.webhooks_coalesce_seconds,
        secret_grace_seconds=settings.webhooks_secret_grace_hours * 3600,
    )


def build_in_memory(settings: Settings, clock: Clock | None = None) -> Container:
    """The same container over the in-memory fakes (for unit tests)."""
    from stockd.adapters.memory import (
        MemoryApiKeyStore,
        MemoryMaintenance,
        MemoryReadModel,
        MemoryStore,
    )
    from stockd.adapters.memory.channel_figures import MemoryChannelFigures
    from stockd.adapters.memory.monitoring import MemoryFigures
    from stockd.adapters.memory.supply import MemorySupplyReader

    clock = clock or SystemClock()
    store = MemoryStore()
    keys = MemoryApiKeyStore(store)
    container = Container(
        settings=settings,
        clock=clock,
        bus=message_bus(store.uow, settings, clock),
        reads=(reads := MemoryReadModel(store)),
        keys=keys,
        auth=Authenticator(keys, settings.auth_cache_seconds),
        maintenance=MemoryMaintenance(store),
        availability=AvailabilityReader(reads, clock),
        watch=store.watch,
        cache=read_cache(settings, reads, store.watch, clock),
        promises=promises(settings, MemorySupplyReader(store), clock),
        figures=CachedFigures(MemoryFigures(store)),
        dependencies=dependencies(settings, _memory_ping(MemoryMaintenance(store))),
    )
    container.channel_drift = channel_drifts(container, MemoryChannelFigures(store))
    return container


def _memory_ping(maintenance: Maintenance) -> Probe:
    async def probe() -> str:
        await maintenance.ping()
        return "in memory"

    return probe


def reconciler(container: Container) -> Reconciler | None:
    """The reconciler over the container's PostgreSQL (None over the
    in-memory fakes: its checks are SQL). Repairs write through the bus's
    units of work, so the ledger head is announced and caches are dropped
    as for any write."""
    uows = container.bus.uow
    if container.pool is None or not isinstance(uows, PostgresUnitOfWorkFactory):
        return None
    checks = CHECKS
    if container.channel_drift is not None:
        checks = (*CHECKS, drift_check(container.channel_drift))
    examiner = PostgresExaminer(
        container.pool, uows, checks, chunk_size=container.settings.reconcile_chunk_levels
    )
    return Reconciler(examiner, PostgresReconcileStore(container.pool), container.clock, new_id)


def reconcile_leadership(container: Container) -> PostgresLeadership | None:
    """The lead among the nodes that run the reconcile worker (None over
    the in-memory fakes)."""
    if container.database_url is None:
        return None
    name = f"stockd-reconcile {socket.gethostname()} pid {os.getpid()}"[:63]
    return PostgresLeadership(container.database_url, key=RECONCILE_LOCK, name=name)
