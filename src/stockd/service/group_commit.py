"""The executor for reservations: concurrent holds group-committed.

Reservations that arrive together are gathered (`batching.Gather`) and
decided as one batch by `handlers.reserve_batch`, each keeping its own
result, events and idempotency:

1. Requests without an idempotency key are decided on the levels (and
   the channels' book) as last committed and written in one atomic
   statement (the hot rows are held only while it runs); the statement
   re-checks the levels' invariants and, for a SKU split into channel
   pools, the guards of the channels' decisions (`ports.ChannelGuard`).
2. If the levels moved under them (the store refused the batch), and for
   keyed requests (whose claims must share a transaction with the change),
   the batch is decided under lock in one transaction, channel pools
   included (`channel_book`).
3. If a batch as a whole cannot be written (a lock timeout, an unexpected
   error), each of its requests is run on its own: one bad request never
   takes the others down with it, and a hold that was written is always
   answered.
4. Requests that came up short because of overdue holds on their SKUs get
   those holds expired (one sweep for the batch) and are tried once more.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stockd import errors
from stockd.domain.commands import Command, ExpireDueReservations, Reserve
from stockd.service import overdue
from stockd.service.batching import Gather
from stockd.service.context import Context, Deps
from stockd.service.handlers.reserve_batch import Request, reserve_batch
from stockd.service.messagebus import Idempotency, IdempotentReply, MessageBus, Render
from stockd.service.ports import HoldMetrics, UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class Pending:
    """A reservation waiting for its group commit."""

    cmd: Reserve
    ctx: Context
    idem: Idempotency | None
    render: Render | None


class ReservationGroupCommit:
    """Runs `Reserve` commands for the bus (`bus.execute_with(Reserve, …)`)."""

    def __init__(
        self,
        bus: MessageBus,
        uow: UnitOfWorkFactory,
        deps: Deps,
        *,
        max_batch: int = 64,
        max_wait: float = 0.001,
        in_flight: int = 2,
        metrics: HoldMetrics | None = None,
    ) -> None:
        self.bus = bus
        self.metrics = metrics
        self.uow = uow
        self.deps = deps
        self._gather: Gather[Pending, Any] = Gather(
            self._run_batch, max_batch, max_wait, in_flight, "stockd-group-commit"
        )

    async def __call__(
        self, cmd: Command, ctx: Context, idem: Idempotency | None, render: Render | None
    ) -> Any:
        assert isinstance(cmd, Reserve)
        return await self._gather.submit(Pending(cmd, ctx, idem, render))

    async def _run_batch(self, batch: list[Pending]) -> list[Any]:
        """One outcome per request, in order: a Reservation, an
        IdempotentReply, or the exception it would have raised."""
        if self.metrics is not None:
            self.metrics.batch(len(batch))
        outcomes: list[Any] = [None] * len(batch)
        alone: list[int] = []
        # Keyed holds claim their keys in the transaction of the change: they
        # are decided under lock.
        keyless = [i for i, p in enumerate(batch) if p.idem is None]
        if keyless:
            try:
                decided = await self._unlocked([batch[i] for i in keyless])
            except Exception as e:
                log.warning("a batch of holds failed (%r); each is decided alone", e)
                alone += keyless
            else:
                if decided is not None:
                    for i, outcome in zip(keyless, decided, strict=True):
                        outcomes[i] = outcome
        todo = [i for i, o in enumerate(outcomes) if o is None and i not in alone]
        if todo:
            try:
                decided, again = await self._locked([batch[i] for i in todo])
            except Exception as e:
                log.warning("a locked batch of holds failed (%r); each is decided alone", e)
                alone += todo
            else:
                for i, outcome in zip(todo, decided, strict=True):
                    outcomes[i] = outcome
                alone += [todo[j] for j in again]
        swept = await self._swept(batch, outcomes)
        for i in sorted(set(alone) | set(swept)):
            outcomes[i] = await self._alone(batch[i], follow_ups=i not in swept)
        return outcomes

    async def _unlocked(self, batch: Sequence[Pending]) -> list[Any] | None:
        """Keyless requests decided on an unlocked read and written in one
        statement; None when the store refused (the levels moved)."""
        requests = [Request(p.cmd, p.ctx) for p in batch]
        try:
            async with self.uow(autocommit=True) as uow:
                decided = await reserve_batch(requests, uow, self.deps, locked=False)
                await uow.commit()
        except errors.TransientConflict:
            return None
        return None if decided is None else list(decided)

    async def _locked(self, batch: Sequence[Pending]) -> tuple[list[Any], list[int]]:
        """One transaction: idempotency keys claimed, the batch decided under
        lock and written. The outcomes, and which requests to run again on
        their own (a key repeated within the batch replays its first use)."""
        for attempt in range(self.bus.attempts):
            outcomes: list[Any] = [None] * len(batch)
            again: list[int] = []
            try:
                async with self.uow() as uow:
                    todo: list[int] = []
                    keys: set[tuple[str, str]] = set()
                    # Keys are claimed in one order everywhere, so two batches
                    # claiming the same keys cannot deadlock on them.
                    for i, p in sorted(enumerate(batch), key=_claim_order):
                        if p.idem is not None:
                            if (p.idem.scope, p.idem.key) in keys:
                                again.append(i)  # same key twice: the second replays the first
                                continue
                            keys.add((p.idem.scope, p.idem.key))
                            try:
                                stored = await uow.idempotency.claim(
                                    p.idem.scope,
                                    p.idem.key,
                                    p.idem.fingerprint,
                                    self.deps.clock.now(),
                                )
                            except errors.IdempotencyKeyReused as e:
                                outcomes[i] = e
                                continue
                            if stored is not None:
                                outcomes[i] = IdempotentReply(stored, replayed=True)
                                continue
                        todo.append(i)
                    todo.sort()  # decide in arrival order
                    results = await reserve_batch(
                        [Request(batch[i].cmd, batch[i].ctx) for i in todo], uow, self.deps
                    )
                    assert results is not None  # only an unlocked batch can be refused
                    for i, result in zip(todo, results, strict=True):
                        p = batch[i]
                        if isinstance(result, errors.StockdError):
                            outcomes[i] = result
                            if p.idem is not None:
                                await uow.idempotency.release(p.idem.scope, p.idem.key)
                        elif p.idem is not None and p.render is not None:
                            response = p.render(result)
                            await uow.idempotency.save(p.idem.scope, p.idem.key, response)
                            outcomes[i] = IdempotentReply(response, replayed=False)
                        else:
                            outcomes[i] = result
                    await uow.commit()
                return outcomes, again
            except errors.TransientConflict:
                await asyncio.sleep(random.uniform(0, 0.002 * 2**attempt))
        busy = errors.Busy("the request kept colliding with others; retry shortly")
        return [busy] * len(batch), []

    async def _swept(self, batch: Sequence[Pending], outcomes: list[Any]) -> list[int]:
        """Requests short because of overdue holds: expire those holds (one
        sweep for all of them); the requests to try once more."""
        short = [
            i
            for i, o in enumerate(outcomes)
            if isinstance(o, errors.StockdError) and o.follow_up is not None
        ]
        skus = {
            sku
            for i in short
            if isinstance(command := outcomes[i].follow_up.command, ExpireDueReservations)
            for sku in command.skus
        }
        if not skus or not await self.bus.follow(overdue.sweep_skus(skus)):
            return []
        return short

    async def _alone(self, pending: Pending, *, follow_ups: bool) -> Any:
        """One request in a transaction of its own: its own outcome, whatever
        happens."""
        try:
            return await self.bus.run(
                pending.cmd, pending.ctx, pending.idem, pending.render, follow_ups=follow_ups
            )
        except errors.StockdError as e:
            return e
        except Exception as e:
            log.exception("a hold failed on its own")
            return e


def _claim_order(item: tuple[int, Pending]) -> tuple[int, str, str, int]:
    index, pending = item
    if pending.idem is None:
        return (1, "", "", index)
    return (0, pending.idem.scope, pending.idem.key, index)
