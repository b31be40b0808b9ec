"""The message bus: one command, one transaction, one handler.

It owns the transaction boundary (so handlers never commit by accident),
retries transactions that lost a deadlock or serialization race, expires
overdue holds that stand between a checkout and the stock it needs (or that a
caller tried to use after their deadline), group-commits concurrent
reservations (see `handlers.reserve_batch`), and makes POSTs idempotent: the
response is stored in the same transaction as the change, so a retry with the
same key gets it back and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stockd import errors
from stockd.domain.commands import Command, ExpireDueReservations, Reserve
from stockd.service import batching
from stockd.service.batching import Pending
from stockd.service.context import Context, Deps
from stockd.service.handlers import Handler
from stockd.service.handlers.reserve_batch import Request as BatchRequest
from stockd.service.handlers.reserve_batch import reserve_batch
from stockd.service.ports import StoredResponse, UnitOfWorkFactory

log = logging.getLogger(__name__)

Render = Callable[[Any], StoredResponse]


@dataclass(frozen=True, slots=True)
class Idempotency:
    scope: str
    """Whose key it is (the API key id): keys of different callers never collide."""
    key: str
    fingerprint: str
    """Digest of the request (method, path, body); the same key with another
    request is refused."""


@dataclass(frozen=True, slots=True)
class Reply:
    response: StoredResponse
    replayed: bool


class MessageBus:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        deps: Deps,
        handlers: Mapping[type[Command], Handler],
        attempts: int = 8,
        group_commit: tuple[int, float, int] | None = (64, 0.001, 2),
    ) -> None:
        """`group_commit`: (most requests per batch, seconds an idle batch waits
        for company, batches written at a time) for reservations; None to
        write each on its own."""
        self.uow = uow
        self.deps = deps
        self.handlers = handlers
        self.attempts = attempts
        self.group = (
            batching.group_commit(self._reserve_batch, *group_commit)
            if group_commit and group_commit[0] > 1
            else None
        )

    async def handle(self, cmd: Command, ctx: Context) -> Any:
        if self.group is not None and isinstance(cmd, Reserve):
            return await self.group.submit(Pending(cmd, ctx, None, None))
        return await self._run(cmd, ctx, None, None)

    async def handle_idempotent(
        self, cmd: Command, ctx: Context, idem: Idempotency, render: Render
    ) -> Reply:
        if self.group is not None and isinstance(cmd, Reserve):
            reply = await self.group.submit(Pending(cmd, ctx, idem, render))
        else:
            reply = await self._run(cmd, ctx, idem, render)
        assert isinstance(reply, Reply)
        return reply

    async def _reserve_batch(self, batch: list[Pending]) -> list[Any]:
        """A batch of reservations, each with its own result (a Reservation, a
        Reply, or the error it would have had).

        Requests without an idempotency key are first decided on the levels
        as last committed and written in one atomic step (the hot rows are
        held only while it runs); if the levels moved under them, and for
        keyed requests (whose claims must share a transaction with the
        change), the batch is decided under lock in one transaction."""
        outcomes: list[Any] = [None] * len(batch)
        keyless = [i for i, p in enumerate(batch) if p.idem is None]
        if keyless:
            requests = [BatchRequest(batch[i].cmd, batch[i].ctx) for i in keyless]
            try:
                async with self.uow(autocommit=True) as uow:
                    results = await reserve_batch(requests, uow, self.deps, locked=False)
                    await uow.commit()
            except errors.TransientConflict:
                results = None  # decided again under lock, below
            if results is not None:
                for i, result in zip(keyless, results, strict=True):
                    outcomes[i] = result
        todo = [i for i, o in enumerate(outcomes) if o is None]
        later: list[int] = []
        if todo:
            decided, later = await self._reserve_locked([batch[i] for i in todo])
            for i, outcome in zip(todo, decided, strict=True):
                outcomes[i] = outcome
            later = [todo[j] for j in later]
        short = [i for i, o in enumerate(outcomes) if isinstance(o, errors.InsufficientStock)]
        if short:
            skus = sorted({s for i in short for s in outcomes[i].extra.get("skus", [])})
            if await self._expire_overdue(skus):
                later += short
        for i in later:
            p = batch[i]
            try:
                outcomes[i] = await self._run(p.cmd, p.ctx, p.idem, p.render)
            except errors.StockdError as e:
                outcomes[i] = e
        return outcomes

    async def _reserve_locked(self, batch: Sequence[Pending]) -> tuple[list[Any], list[int]]:
        """One transaction: idempotency keys claimed, the batch decided under
        lock and written. The outcomes, and which requests to run again on
        their own (a key repeated within the batch replays its first use)."""
        for attempt in range(self.attempts):
            outcomes: list[Any] = [None] * len(batch)
            later: list[int] = []
            try:
                async with self.uow() as uow:
                    todo: list[int] = []
                    keys: set[tuple[str, str]] = set()
                    # Keys are claimed in one order everywhere, so two batches
                    # claiming the same keys cannot deadlock on them.
                    for i, p in sorted(enumerate(batch), key=_claim_order):
                        if p.idem is not None:
                            if (p.idem.scope, p.idem.key) in keys:
                                later.append(i)  # same key twice: the second replays the first
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
                                outcomes[i] = Reply(stored, replayed=True)
                                continue
                        todo.append(i)
                    todo.sort()  # decide in arrival order
                    results = await reserve_batch(
                        [BatchRequest(batch[i].cmd, batch[i].ctx) for i in todo], uow, self.deps
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
                            outcomes[i] = Reply(response, replayed=False)
                        else:
                            outcomes[i] = result
                    await uow.commit()
                return outcomes, later
            except errors.TransientConflict:
                await asyncio.sleep(random.uniform(0, 0.002 * 2**attempt))
        busy = errors.Busy("the request kept colliding with others; retry shortly")
        return [busy] * len(batch), []

    async def _run(
        self, cmd: Command, ctx: Context, idem: Idempotency | None, render: Render | None
    ) -> Any:
        handler = self.handlers[type(cmd)]
        expired_for_retry = False
        for attempt in range(self.attempts):
            try:
                async with self.uow() as uow:
                    if idem is not None:
                        stored = await uow.idempotency.claim(
                            idem.scope, idem.key, idem.fingerprint, self.deps.clock.now()
                        )
                        if stored is not None:
                            return Reply(stored, replayed=True)
                    result = await handler(cmd, uow, ctx, self.deps)
                    if idem is None or render is None:
                        await uow.commit()
                        return result
                    response = render(result)
                    await uow.idempotency.save(idem.scope, idem.key, response)
                    await uow.commit()
                    return Reply(response, replayed=False)
            except errors.TransientConflict:
                await asyncio.sleep(random.uniform(0, 0.002 * 2**attempt))
            except errors.InsufficientStock as short:
                if expired_for_retry or not isinstance(cmd, Reserve):
                    raise
                expired_for_retry = True
                if not await self._expire_overdue(short.extra.get("skus", [])):
                    raise
            except errors.ReservationExpired as expired:
                # Close the overdue hold now rather than leave it to the worker.
                await self._expire_overdue(expired.extra.get("skus", []))
                raise
        log.warning("giving up on %s after %d attempts", type(cmd).__name__, self.attempts)
        raise errors.Busy("the request kept colliding with others; retry shortly")

    async def _expire_overdue(self, skus: list[str]) -> int:
        """Expire holds past their deadline on these SKUs (the worker may not
        have got to them yet); how many."""
        cmd = ExpireDueReservations(limit=10_000, skus=tuple(skus))
        expired: int = await self._run(cmd, Context(actor="stockd:expiry"), None, None)
        return expired


def _claim_order(item: tuple[int, Pending]) -> tuple[int, str, str, int]:
    index, pending = item
    if pending.idem is None:
        return (1, "", "", index)
    return (0, pending.idem.scope, pending.idem.key, index)
