"""Corrections: physical counts and external stock reports, "as of" a time.

A correction says how many units a level held at a moment (`effective_at`:
a count's `counted_at`, a report line's `observed_at`), not now. The level's
**anchor** is the correction that governs it: the later (by `effective_at`)
of its latest count and its standing report figure, a count winning a tie.
Then

    on_hand = anchor.figure + the on_hand deltas of every other movement
              (holds, shipments, sales, receipts, adjustments) after
              anchor.effective_at

Corrections never count as "movements after" one another: each is
effective at its own time, so two corrections applied out of order do not
double-count each other, and the result depends only on the set of
corrections and movements, not on the order they arrived in.

Which report line stands among those of one level is a function of the set
of lines alone (`standing`), under the level's conflict policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from stockd.domain.quantities import LevelKey, Quantities


class Policy(StrEnum):
    LAST_WRITE_WINS = "last_write_wins"
    PRIORITY = "priority"
    CONSERVATIVE = "conservative"


@dataclass(frozen=True, slots=True)
class Source:
    """Who may report figures: a store's POS, a marketplace, a 3PL's feed."""

    id: str
    priority: int
    policy: Policy
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One figure a source reported for one level. `priority` is the
    source's (as registered now)."""

    source: str
    key: LevelKey
    quantity: int
    observed_at: datetime
    priority: int = 0


@dataclass(frozen=True, slots=True)
class Anchor:
    """The correction a level's on_hand follows (see the module's doc)."""

    effective_at: datetime
    figure: int
    kind: str
    """`count` or `report`."""
    source: str | None = None

    def describe(self) -> str:
        at = rfc3339(self.effective_at)
        if self.kind == "count":
            return f"the count of {self.figure} at {at}"
        return f"{self.source}'s figure of {self.figure} observed at {at}"


def rfc3339(at: datetime) -> str:
    """A time as the API writes it: `2026-11-30T10:00:00Z`."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _latest_first(line: ReportLine) -> tuple[datetime, int, int, str]:
    return (line.observed_at, line.priority, -line.quantity, line.source)


def standing(lines: Iterable[ReportLine], policy: Policy, window: timedelta) -> ReportLine | None:
    """The line that stands among one level's report lines, from the set alone:

    - `last_write_wins`: the latest `observed_at`;
    - `priority`: among the lines observed within `window` of the latest,
      the highest-priority source's (then the latest);
    - `conservative`: among the lines within `window` of the latest, the
      lowest figure (then the latest).

    Remaining ties go to the higher priority, then the lower figure, then the
    source id that sorts last, so no two lines ever tie."""
    every = list(lines)
    if not every:
        return None
    latest = max(every, key=_latest_first)
    if policy is Policy.LAST_WRITE_WINS:
        return latest
    near = [x for x in every if x.observed_at >= latest.observed_at - window]
    if policy is Policy.PRIORITY:
        return max(near, key=lambda x: (x.priority, *_latest_first(x)))
    return max(near, key=lambda x: (-x.quantity, *_latest_first(x)))


def governing_policy(
    lines: Sequence[ReportLine], policies: dict[str, Policy], override: Policy | None
) -> Policy:
    """The policy that settles a level's conflicts: the location's override,
    else that of the highest-priority source among the lines (then the
    source id that sorts first), else `last_write_wins`."""
    if override is not None:
        return override
    if not lines:
        return Policy.LAST_WRITE_WINS
    top = min(lines, key=lambda x: (-x.priority, x.source))
    return policies.get(top.source, Policy.LAST_WRITE_WINS)


def anchor_of(count: Anchor | None, report: Anchor | None) -> Anchor | None:
    """The later correction; a count (physical truth) wins a tie."""
    if count is None or report is None:
        return count or report
    return report if report.effective_at > count.effective_at else count


def later_count(known: Anchor | None, fresh: Anchor) -> Anchor:
    """Of two counts, the later; at the same moment, the lower figure."""
    if known is None:
        return fresh
    return max(known, fresh, key=lambda x: (x.effective_at, -x.figure))


def lowest_on_hand(quantities: Quantities, floor: int) -> int:
    """The least on_hand a level may hold without breaking an invariant:
    never below 0, below its damaged and quality-control units, or so low
    that `available` falls under the floor (units still held, committed or
    kept as safety stock)."""
    q = quantities
    spoken_for = q.reserved + q.committed + q.damaged + q.quality_control + q.safety_stock
    return max(0, q.damaged + q.quality_control, spoken_for + floor)


def why_standing(line: ReportLine, policy: Policy, window: timedelta) -> str:
    """In words, why `line` stands under `policy`."""
    if policy is Policy.LAST_WRITE_WINS:
        return "the latest figure reported (policy last_write_wins)"
    span = f"{int(window.total_seconds())}s"
    if policy is Policy.PRIORITY:
        return f"the highest-priority source within {span} of the latest line (policy priority)"
    return f"the lowest figure within {span} of the latest line (policy conservative)"
