"""Available-to-promise and delivery-date promises: reads, never writes.

`Promises.atp` is the ATP staircase of one SKU; `Promises.promise` the
earliest delivery date of each line of a cart, made from the same
staircase (`stockd.domain.atp`, `stockd.domain.promise`). Nothing is held:
a promise says what stockd could keep now, as a quote does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from stockd import errors
from stockd.domain.atp import Atp, Supply, available_to_promise
from stockd.domain.commands import SkuQuantity
from stockd.domain.promise import Destination, LinePromise, Shortfall, Terms, promise
from stockd.errors import Issue, ShortLine, timestamp
from stockd.service.handlers import lines as line_checks
from stockd.service.handlers import references
from stockd.service.ports import Clock, SupplyReader


@dataclass(frozen=True, slots=True)
class Horizon:
    """How far ATP looks: `default_days` without `until`, `max_days` at most
    (and promises look that far)."""

    default_days: int
    max_days: int


@dataclass(frozen=True, slots=True)
class Promise:
    as_of: datetime
    until: datetime
    lines: tuple[LinePromise, ...]


class Promises:
    def __init__(self, supply: SupplyReader, clock: Clock, terms: Terms, horizon: Horizon) -> None:
        self.supply = supply
        self.clock = clock
        self.terms = terms
        self.horizon = horizon

    async def atp(
        self, sku: str, *, location: str | None = None, until: datetime | None = None
    ) -> Atp:
        """The SKU's ATP from now to `until` (default: the horizon's default
        days ahead), at `location` only when given. NotFound for an unknown
        SKU; 422 for an unknown location or an `until` that is past or
        beyond the horizon."""
        now = self.clock.now()
        until = self._until(now, until)
        found = await self.supply.supply(sku, now, until)
        if found is None:
            raise errors.NotFound(f"SKU {sku!r} does not exist")
        if (
            location is not None
            and location not in found.locations
            and not await self.supply.locations([location])
        ):
            issue = Issue(f"unknown location {location!r}", "location")
            raise errors.UnknownReference(issue)
        return available_to_promise(found, now, until, location)

    async def promise(self, lines: Sequence[SkuQuantity], to: Destination) -> Promise:
        """Each line's earliest delivery date to `to`. All lines or none: a
        409 `insufficient_stock` names every line that cannot be promised
        within the horizon, and why."""
        line_checks.unique_skus(lines)
        now = self.clock.now()
        until = now + timedelta(days=self.horizon.max_days)
        supplies: dict[str, Supply] = {}
        for line in lines:
            found = await self.supply.supply(line.sku, now, until)
            if found is not None:
                supplies[line.sku] = found
        missing = references.missing_references([(x.sku, None) for x in lines], supplies, ())
        if missing:
            raise errors.UnknownReference(*missing, detail=references.unknown(missing))
        archived = references.archived_skus(
            [x.sku for x in lines], {k: v.sku for k, v in supplies.items()}
        )
        if archived is not None:
            raise archived
        made: list[LinePromise] = []
        short: list[tuple[int, Shortfall]] = []
        for i, line in enumerate(lines):
            supply = supplies[line.sku]
            atp = available_to_promise(supply, now, until)
            answer = promise(atp, line.quantity, to, supply.locations, self.terms)
            if isinstance(answer, Shortfall):
                short.append((i, answer))
            else:
                made.append(answer)
        if short:
            raise errors.InsufficientStock(
                "cannot promise "
                + "; ".join(
                    f"line {i} ({x.sku}, {_units(x.requested)}): {x.reason}" for i, x in short
                ),
                [ShortLine(x.sku, None, x.requested, x.promisable) for _, x in short],
            )
        return Promise(now, until, tuple(made))

    def _until(self, now: datetime, until: datetime | None) -> datetime:
        if until is None:
            return now + timedelta(days=self.horizon.default_days)
        latest = now + timedelta(days=self.horizon.max_days)
        if until <= now:
            detail = f"until {timestamp(until)} is not in the future (now: {timestamp(now)})"
            raise errors.InvalidRequest(Issue(detail, "until"))
        if until > latest:
            detail = (
                f"until {timestamp(until)} lies beyond {self.horizon.max_days} days ahead"
                f" (at most {timestamp(latest)})"
            )
            raise errors.InvalidRequest(Issue(detail, "until"))
        return until


def _units(n: int) -> str:
    return f"{n} unit" if n == 1 else f"{n} units"
