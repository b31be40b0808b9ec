"""The worker loops: expiry, idempotency janitor, webhook delivery,
rebalancing, reconciliation (each a round every interval), and the relay to NATS JetStream
(one long-running loop)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from stockd.bootstrap import Container, rebalance_policy, reconcile_leadership
from stockd.bootstrap import reconciler as build_reconciler
from stockd.bootstrap import relay as build_relay
from stockd.domain.commands import ExpireDueReservations, ExpireDueSlots
from stockd.service.context import Context
from stockd.service.rebalancing import rebalance_all
from stockd.service.reconciliation import scheduled

log = logging.getLogger(__name__)

EXPIRY_BATCH = 500


async def expire_once(container: Container) -> int:
    """Expire every hold and slot booking past its deadline, in batches; how many."""
    total = 0
    for command in (ExpireDueReservations(limit=EXPIRY_BATCH), ExpireDueSlots(limit=EXPIRY_BATCH)):
        while True:
            n: int = await container.bus.handle(command, Context(actor="stockd:expiry"))
            total += n
            if n < EXPIRY_BATCH:
                break
    return total


async def janitor_once(container: Container) -> int:
    retention = timedelta(hours=container.settings.idempotency_retention_hours)
    return await container.maintenance.forget_idempotency_keys(container.clock.now() - retention)


async def webhooks_once(container: Container) -> int:
    """Start a delivery round for each webhook that has none running."""
    if container.webhooks is None:
        return 0
    return await container.webhooks.dispatch()


async def rebalance_once(container: Container) -> int:
    """Rebalance the pools of every SKU short of a pool; how many moved."""
    return await rebalance_all(
        container.bus,
        container.reads,
        rebalance_policy(container.settings),
        Context(actor="stockd:rebalance"),
    )


_RECONCILE_SINCE: dict[int, datetime] = {}
"""When each container's reconcile worker first looked (its first run is
due an interval after that, when there has been no run at all)."""


async def reconcile_once(container: Container) -> int:
    """The scheduled reconciliation, when due and this node leads; how many
    differences it found."""
    found = build_reconciler(container)
    leadership = reconcile_leadership(container)
    if found is None or leadership is None:
        return 0
    settings = container.settings
    since = _RECONCILE_SINCE.setdefault(id(container), container.clock.now())
    run = await scheduled(
        found, leadership, settings.reconcile_interval_seconds, settings.reconcile_apply, since
    )
    if run is None:
        return 0
    if not run.clean:
        log.warning(
            "reconcile %s: %d differences over %d levels (%d repaired)",
            run.id,
            run.differences,
            run.levels_checked,
            run.repaired,
        )
    return run.differences


WORKERS: dict[str, tuple[Callable[[Container], Awaitable[int]], Callable[[Container], float]]] = {
    "expiry": (expire_once, lambda c: c.settings.expiry_interval_seconds),
    "janitor": (janitor_once, lambda c: 3600.0),
    "webhooks": (webhooks_once, lambda c: c.settings.webhooks_interval_seconds),
    "rebalance": (rebalance_once, lambda c: c.settings.rebalance_interval_seconds),
    # Looks every minute (or interval) whether a run is due: a run by another
    # node or by hand pushes the next one back.
    "reconcile": (reconcile_once, lambda c: min(60.0, c.settings.reconcile_interval_seconds)),
}


async def relay(container: Container) -> None:
    """Relay the ledger to NATS JetStream until cancelled (while this
    process leads); without STOCKD_NATS_URL there is nothing to do."""
    found = build_relay(container)
    if found is None:
        log.debug("relay: STOCKD_NATS_URL is not set; not relaying")
        return
    await found.run()


LOOPS: dict[str, Callable[[Container], Awaitable[None]]] = {"relay": relay}
"""Workers that run as one loop of their own, not a round every interval."""

NAMES = (*WORKERS, *LOOPS)


async def run(name: str, container: Container) -> None:
    """Run worker `name` until cancelled; a failed round is logged and retried."""
    if name in LOOPS:
        await LOOPS[name](container)
        return
    once, interval = WORKERS[name]
    try:
        while True:
            try:
                done = await once(container)
                if done:
                    log.debug("%s: %d", name, done)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("worker %s failed a round; retrying", name)
            await asyncio.sleep(interval(container))
    finally:
        if name == "webhooks" and container.webhooks is not None:
            await container.webhooks.stop()  # the delivery rounds it started


def start_all(container: Container) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(run(name, container), name=f"stockd-{name}") for name in NAMES]


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
