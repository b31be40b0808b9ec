"""One level change and the ledger event that records it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stockd import errors
from stockd.domain.events import Movement
from stockd.domain.quantities import LevelKey, Quantities
from stockd.service.context import Context
from stockd.service.ports import UnitOfWork


async def move(
    uow: UnitOfWork,
    event: type[Movement],
    key: LevelKey,
    delta: Quantities,
    now: datetime,
    ctx: Context,
    refused: str | errors.StockdError,
    **fields: Any,
) -> Movement:
    """Apply `delta` to the level at `key` (the store checks every invariant)
    and return the event recording it, with the quantities after it. When the
    store refuses: `refused` if it is an error, else an InvariantViolation
    saying so."""
    after = await uow.levels.apply(key, delta, now)
    if after is None:
        if isinstance(refused, errors.StockdError):
            raise refused
        raise errors.InvariantViolation(f"{key}: {refused}")
    return event(
        key=key,
        delta=delta,
        after=after.quantities,
        at=now,
        actor=ctx.actor,
        idempotency_key=ctx.idempotency_key,
        **fields,
    )
