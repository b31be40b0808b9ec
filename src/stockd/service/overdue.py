"""Holds past their deadline that stand in a request's way.

Until the expiry worker closes it, an overdue hold still counts in `reserved`
in the store (reads already leave it out). A request it blocks fails with an
error that says what to run first, in a transaction of its own: expire the
overdue holds on those SKUs (then the request is tried once more), or expire
the one overdue hold the caller tried to use. The message bus runs these
follow-ups without knowing any command by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from stockd import errors
from stockd.domain.commands import ExpireDueReservations

SWEEP_LIMIT = 1_000
"""Most overdue holds one follow-up expires (the worker does the rest)."""
ACTOR = "stockd:expiry"


def sweep_skus(skus: Iterable[str]) -> errors.FollowUp:
    """Expire overdue holds on these SKUs, then try again."""
    command = ExpireDueReservations(limit=SWEEP_LIMIT, skus=tuple(sorted(set(skus))))
    return errors.FollowUp(command, retry=True, actor=ACTOR)


def sweep_hold(reservation_id: str) -> errors.FollowUp:
    """Expire this one overdue hold (the caller then hears it expired)."""
    return errors.FollowUp(
        ExpireDueReservations(limit=1, reservation_ids=(reservation_id,)), retry=False, actor=ACTOR
    )


def shortage(detail: str, lines: Sequence[errors.ShortLine]) -> errors.InsufficientStock:
    """Not enough stock for these lines: the one way every path that overdue
    holds may have blocked says so."""
    return errors.InsufficientStock(detail, lines).then(sweep_skus(x.sku for x in lines))
