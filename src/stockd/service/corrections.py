"""Settling a level on its anchor: the steps counts and stock reports share.

Both run under the level's row lock (taken by the handler, every level of a
request at once, in (sku, location) order), so no movement of the level
commits between reading what moved since the anchor and applying the
delta: a movement that committed before the lock is "after the anchor" and
stays on top, one that commits after it lands on top of the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from stockd import errors
from stockd.domain.corrections import (
    Anchor,
    Policy,
    ReportLine,
    governing_policy,
    lowest_on_hand,
    rfc3339,
    standing,
)
from stockd.domain.events import StockCounted
from stockd.domain.quantities import Level, Quantities, State
from stockd.service.context import Context
from stockd.service.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Settlement:
    """What bringing a level to its anchor takes: `on_hand` moves by
    `adjustment`. `expected` is what the ledger says on_hand held at the
    anchor's time; `short` is how many units the anchor says are gone that
    are still held, committed or kept as safety stock: on_hand stops that
    far above the figure (an invariant the database keeps)."""

    anchor: Anchor
    expected: int
    adjustment: int
    short: int


def check_time(at: datetime, now: datetime, max_age: timedelta, field: str) -> errors.Issue | None:
    """Why a correction's time is refused, if it is."""
    if at > now:
        return errors.Issue(
            f"{field} {rfc3339(at)} is in the future (now is {rfc3339(now)})", field
        )
    if at < now - max_age:
        hours = int(max_age.total_seconds() // 3600)
        return errors.Issue(
            f"{field} {rfc3339(at)} is more than {hours} hours ago, beyond what stockd"
            f" corrects after the fact (STOCKD_CORRECTION_MAX_AGE_HOURS={hours}); count again",
            field,
        )
    return None


def within(lines: Sequence[ReportLine], window: timedelta) -> list[ReportLine]:
    """The lines observed within `window` of the latest one."""
    if not lines:
        return []
    latest = max(x.observed_at for x in lines)
    return [x for x in lines if x.observed_at >= latest - window]


@dataclass(frozen=True, slots=True)
class Standing:
    line: ReportLine | None
    policy: Policy


def standing_of(
    lines: Sequence[ReportLine],
    policies: dict[str, Policy],
    override: Policy | None,
    window: timedelta,
) -> Standing:
    near = within(lines, window)
    policy = governing_policy(near, policies, override)
    return Standing(standing(near, policy, window), policy)


def report_anchor(line: ReportLine | None) -> Anchor | None:
    if line is None:
        return None
    return Anchor(line.observed_at, line.quantity, "report", line.source)


async def settlement(uow: UnitOfWork, level: Level, anchor: Anchor) -> Settlement:
    """What bringing `level` (as locked) to `anchor` takes; writes nothing."""
    moved = await uow.corrections.moved_since(level.key, anchor.effective_at)
    on_hand = level.quantities.on_hand
    target = anchor.figure + moved
    reachable = max(target, lowest_on_hand(level.quantities, level.floor))
    return Settlement(anchor, on_hand - moved, reachable - on_hand, reachable - target)


async def settle(
    uow: UnitOfWork,
    level: Level,
    found: Settlement,
    now: datetime,
    ctx: Context,
    *,
    reason: str,
    reference: str | None = None,
) -> Level:
    """Apply a settlement as a database-side delta and record its
    `stock.counted` event; the level after (unchanged for no adjustment)."""
    if found.adjustment == 0:
        return level
    delta = Quantities.of(State.ON_HAND, found.adjustment)
    after = await uow.levels.apply(level.key, delta, now)
    if after is None:  # the lowest on_hand was worked out under the same lock
        raise errors.InvariantViolation(f"{level.key}: the correction was refused by the store")
    await uow.ledger.append(
        [
            StockCounted(
                key=level.key,
                delta=delta,
                after=after.quantities,
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                reason=reason,
                reference=reference,
                counted=found.anchor.figure,
                expected=found.expected,
                effective_at=found.anchor.effective_at,
                source=found.anchor.source,
            )
        ]
    )
    return after
