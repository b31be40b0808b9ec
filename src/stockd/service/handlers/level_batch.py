"""Many changes to locked levels: each checked as it comes, all written at once.

Group commit (reservations) and closing holds (release, commit, expiry) both
decide change by change against the levels as the earlier changes left them,
then write the sums with one conditional UPDATE — one statement holding the
hot rows instead of one per change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from stockd import errors
from stockd.domain.quantities import Level, LevelKey, Quantities
from stockd.service.ports import UnitOfWork


class LevelBatch:
    def __init__(self, locked: Mapping[LevelKey, Level]) -> None:
        self.view: dict[LevelKey, Level] = dict(locked)
        """The locked levels as the changes taken so far leave them."""
        self._deltas: dict[LevelKey, tuple[Quantities, int]] = {}

    @property
    def deltas(self) -> Mapping[LevelKey, tuple[Quantities, int]]:
        """Per level: the summed delta and how many changes went into it."""
        return self._deltas

    def fits(self, key: LevelKey, delta: Quantities) -> bool:
        level = self.view.get(key)
        return level is not None and not (level.quantities + delta).violations(level.floor)

    def take(self, key: LevelKey, delta: Quantities) -> Quantities:
        """Count `delta` in (it must fit); the quantities after it."""
        level = self.view[key]
        after = level.quantities + delta
        self.view[key] = replace(level, quantities=after, version=level.version + 1)
        summed, changes = self._deltas.get(key, (Quantities(), 0))
        self._deltas[key] = (summed + delta, changes + 1)
        return after

    async def write(self, uow: UnitOfWork, now: datetime, what: str) -> None:
        """Write the sums; the store re-checks every invariant. A refusal
        cannot happen under the locks held, so it fails the whole transaction
        rather than record what the store does not agree with."""
        if not self._deltas:
            return
        written = await uow.levels.apply_many(self._deltas, now)
        if written is None or any(
            written[k].quantities != self.view[k].quantities for k in self._deltas
        ):
            raise errors.InvariantViolation(f"the store refused {what}")
