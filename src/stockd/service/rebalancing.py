"""Rebalancing channel pools by sales velocity.

A SKU's percentage pools are split again when a channel with one has less
than a threshold of its pool free (`short_of_pool`): the percentages go to
the channels in proportion to the units each sold in a window
(`rebalanced`), each moving by at most a limit per move, fixed pools left
as they are. The `RebalanceChannels` command does it under the SKUs' locks
(`stockd.service.handlers.channels.rebalance_channels`), each move a
`channel.rebalanced` event; the `rebalance` worker runs it over every SKU
with percentage pools, a batch per transaction, and `POST
/v1/channels/rebalance` for the SKUs asked (or all) in one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stockd.domain.channels import PoolShare
from stockd.domain.commands import RebalanceChannels
from stockd.service.context import Context
from stockd.service.queries import ReadModel

if TYPE_CHECKING:  # the bus imports the handlers, which import this module
    from stockd.service.messagebus import MessageBus

BATCH = 500
"""SKUs one transaction of the worker rebalances."""


@dataclass(frozen=True, slots=True)
class RebalancePolicy:
    window_seconds: int = 7 * 86_400
    threshold_pct: int = 15
    max_move_pct: int = 10

    def command(self, skus: Sequence[str] | None, *, dry_run: bool = False) -> RebalanceChannels:
        return RebalanceChannels(
            None if skus is None else tuple(dict.fromkeys(skus)),
            dry_run,
            self.window_seconds,
            self.threshold_pct,
            self.max_move_pct,
        )


@dataclass(frozen=True, slots=True)
class Move:
    sku: str
    before: tuple[PoolShare, ...]
    after: tuple[PoolShare, ...]
    velocities: dict[str, int]
    applied: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "before": [p.as_dict() for p in self.before],
            "after": [p.as_dict() for p in self.after],
            "velocities": self.velocities,
            "applied": self.applied,
        }


@dataclass(slots=True)
class RebalanceReport:
    dry_run: bool
    window_seconds: int
    checked: int = 0
    """SKUs with pools of their own looked at."""
    short: int = 0
    """Of those, SKUs where a channel's free pool was below the threshold."""
    moves: list[Move] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "window_seconds": self.window_seconds,
            "checked": self.checked,
            "short": self.short,
            "moves": [m.as_dict() for m in self.moves],
        }


async def rebalance_all(
    bus: MessageBus, reads: ReadModel, policy: RebalancePolicy, ctx: Context
) -> int:
    """Rebalance every SKU with percentage pools, `BATCH` SKUs a
    transaction (locks held briefly); how many moved."""
    moved = 0
    after: str | None = None
    while batch := await reads.share_pooled_skus(after, BATCH):
        after = batch[-1]
        report: RebalanceReport = await bus.handle(policy.command(batch), ctx)
        moved += len(report.moves)
    return moved
