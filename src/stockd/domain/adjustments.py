"""Admin changes to a level: adjust by a delta, set a counted value, move units.

Each change names exactly the counters it touches; nothing implicit happens to
`on_hand`. Moving between `on_hand` (meaning its sellable part), `damaged` and
`quality_control` never changes `on_hand`, because damaged and quality-control
units are still physically present:

    on_hand -> damaged          damaged += n
    damaged -> on_hand          damaged -= n
    damaged -> quality_control  damaged -= n, quality_control += n
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stockd.domain.quantities import Level, LevelKey, Quantities, State

ADJUSTABLE: frozenset[State] = frozenset(
    {State.ON_HAND, State.DAMAGED, State.QUALITY_CONTROL, State.SAFETY_STOCK, State.INCOMING}
)
"""States an admin may change directly; `reserved` and `committed` follow holds and orders."""

MOVABLE: frozenset[State] = frozenset({State.ON_HAND, State.DAMAGED, State.QUALITY_CONTROL})


class ChangeKind(StrEnum):
    ADJUSTED = "adjusted"
    COUNTED = "counted"
    MOVED = "moved"


@dataclass(frozen=True, slots=True)
class Change:
    key: LevelKey
    state: State
    reason: str
    delta: int | None = None
    set_to: int | None = None
    expected: int | None = None
    expected_version: int | None = None
    from_state: State | None = None
    reference: str | None = None

    def __post_init__(self) -> None:
        if (self.delta is None) == (self.set_to is None):
            raise ValueError("a change needs exactly one of delta and set")
        if self.state not in ADJUSTABLE:
            raise ValueError(f"{self.state} cannot be adjusted directly")
        if self.from_state is not None:
            if self.delta is None or self.delta <= 0:
                raise ValueError("a move needs a positive delta")
            if self.from_state not in MOVABLE or self.state not in MOVABLE:
                raise ValueError("moves go between on_hand, damaged and quality_control")
            if self.from_state is self.state:
                raise ValueError("a move needs two different states")

    @property
    def kind(self) -> ChangeKind:
        if self.from_state is not None:
            return ChangeKind.MOVED
        if self.set_to is not None:
            return ChangeKind.COUNTED
        return ChangeKind.ADJUSTED


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a change cannot be applied to a level as it stands."""

    code: str
    detail: str


def movement(change: Change, level: Level, in_transit: int = 0) -> Quantities | Refusal:
    """The delta `change` makes to `level`, or why it must not be made.

    `level` is the row as read under lock in this transaction; the delta is
    then applied by the store as `x = x + delta` under the same checks.
    `in_transit` is what open transfers and purchase orders still owe the
    level (read after the lock, so no transfer can add to it unseen): its
    `incoming` may not be taken below that, or they could never be received.
    """
    current = level.quantities
    if change.expected_version is not None and change.expected_version != level.version:
        return Refusal(
            "version_conflict",
            f"{level.key} is at version {level.version}, expected {change.expected_version}",
        )
    if change.expected is not None and current.get(change.state) != change.expected:
        return Refusal(
            "version_conflict",
            f"{change.state} at {level.key} is {current.get(change.state)}, "
            f"expected {change.expected}",
        )
    delta = _delta(change, current)
    after = current + delta
    broken = after.violations(level.floor)
    if broken:
        return Refusal("invariant_violation", f"{level.key}: " + "; ".join(broken))
    if delta.incoming < 0 and after.incoming < in_transit:
        return Refusal(
            "invariant_violation",
            f"{level.key}: incoming would be {after.incoming}, but open transfers and purchase"
            f" orders still have {in_transit} units on their way to it; receive them instead"
            " (POST /v1/transfers/{id}/receive, POST /v1/purchase-orders/{id}/receive)"
            " or cut the purchase order (POST /v1/purchase-orders/{id}/cut)",
        )
    return delta


def _delta(change: Change, current: Quantities) -> Quantities:
    if change.from_state is not None:
        assert change.delta is not None
        n = change.delta
        delta = Quantities()
        if change.from_state is not State.ON_HAND:
            delta = delta + Quantities.of(change.from_state, -n)
        if change.state is not State.ON_HAND:
            delta = delta + Quantities.of(change.state, n)
        return delta
    if change.set_to is not None:
        return Quantities.of(change.state, change.set_to - current.get(change.state))
    assert change.delta is not None
    return Quantities.of(change.state, change.delta)
