"""The message bus: one command, one transaction, one handler.

It owns the transaction boundary (so handlers never commit by accident),
retries transactions that lost a deadlock or serialization race, runs the
follow-up an error asks for (in a transaction of its own, before the caller
hears of the error: see `stockd.errors.FollowUp`), and makes POSTs
idempotent: the response is stored in the same transaction as the change, so
a retry with the same key gets it back and changes nothing.

It names no command. A command type may be given an executor of its own
(`execute_with`, wired in `bootstrap.py`): reservations are group-committed
by `stockd.service.group_commit`; every other command runs through `run`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from stockd import errors
from stockd.domain.commands import Command
from stockd.service.context import Context, Deps
from stockd.service.handlers import Handler
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
class IdempotentReply:
    """The stored response of an idempotent request, and whether this was a
    replay of it."""

    response: StoredResponse
    replayed: bool


class Executor(Protocol):
    """Runs one command: the result (with `idem`, an IdempotentReply)."""

    async def __call__(
        self, cmd: Command, ctx: Context, idem: Idempotency | None, render: Render | None
    ) -> Any: ...


class MessageBus:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        deps: Deps,
        handlers: Mapping[type[Command], Handler],
        attempts: int = 8,
    ) -> None:
        self.uow = uow
        self.deps = deps
        self.handlers = handlers
        self.attempts = attempts
        self._executors: dict[type[Command], Executor] = {}

    def execute_with(self, command: type[Command], executor: Executor) -> None:
        """Run commands of this type through `executor` instead of `run`."""
        self._executors[command] = executor

    async def handle(self, cmd: Command, ctx: Context) -> Any:
        return await self._executors.get(type(cmd), self.run)(cmd, ctx, None, None)

    async def handle_idempotent(
        self, cmd: Command, ctx: Context, idem: Idempotency, render: Render
    ) -> IdempotentReply:
        reply = await self._executors.get(type(cmd), self.run)(cmd, ctx, idem, render)
        assert isinstance(reply, IdempotentReply)
        return reply

    async def run(
        self,
        cmd: Command,
        ctx: Context,
        idem: Idempotency | None = None,
        render: Render | None = None,
        *,
        follow_ups: bool = True,
    ) -> Any:
        """`cmd` in one transaction of its own, retried when it loses a race;
        with `follow_ups`, an error's follow-up is run before it is raised."""
        handler = self.handlers[type(cmd)]
        retried = False
        for attempt in range(self.attempts):
            try:
                async with self.uow() as uow:
                    if idem is not None:
                        stored = await uow.idempotency.claim(
                            idem.scope, idem.key, idem.fingerprint, self.deps.clock.now()
                        )
                        if stored is not None:
                            return IdempotentReply(stored, replayed=True)
                    result = await handler(cmd, uow, ctx, self.deps)
                    if idem is None or render is None:
                        await uow.commit()
                        return result
                    response = render(result)
                    await uow.idempotency.save(idem.scope, idem.key, response)
                    await uow.commit()
                    return IdempotentReply(response, replayed=False)
            except errors.TransientConflict:
                await asyncio.sleep(random.uniform(0, 0.002 * 2**attempt))
            except errors.StockdError as e:
                follow_up = e.follow_up
                if not follow_ups or follow_up is None:
                    raise
                changed = await self.follow(follow_up)
                if not (follow_up.retry and changed) or retried:
                    raise
                retried = True
        log.warning("giving up on %s after %d attempts", type(cmd).__name__, self.attempts)
        raise errors.Busy("the request kept colliding with others; retry shortly")

    async def follow(self, follow_up: errors.FollowUp) -> bool:
        """Run a follow-up (its own follow-ups are not run); whether it
        changed anything. A follow-up that fails is logged: the caller still
        hears of the error that asked for it, not of this one."""
        try:
            ctx = Context(actor=follow_up.actor)
            return bool(await self.run(follow_up.command, ctx, follow_ups=False))
        except Exception:
            log.exception("follow-up %s failed", type(follow_up.command).__name__)
            return False
