"""Levels, availability and adjustments."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from stockd.domain.adjustments import Change
from stockd.domain.offers import offer
from stockd.domain.quantities import AVAILABLE, MAX_CHANGE, Level, LevelKey, State
from stockd.entrypoints.api.schemas.common import Code, Count, Input, Output, Reference, Version
from stockd.service.handlers.adjustments import AdjustResult
from stockd.service.queries import LocatedLevel

AdjustableState = Literal["on_hand", "damaged", "quality_control", "safety_stock", "incoming"]
MovableState = Literal["on_hand", "damaged", "quality_control"]
Delta = Annotated[int, Field(ge=-MAX_CHANGE, le=MAX_CHANGE)]
SetValue = Annotated[int, Field(ge=0, le=MAX_CHANGE)]


class LevelRead(Output):
    sku: str
    location: str
    on_hand: int
    reserved: int
    committed: int
    damaged: int
    quality_control: int
    safety_stock: int
    incoming: int
    available: int = Field(description=AVAILABLE.sql())
    floor: int = Field(description="Lowest `available` may go: 0, or -cap under backorder.")
    version: int

    @classmethod
    def of(cls, level: Level) -> LevelRead:
        return cls(
            sku=level.key.sku,
            location=level.key.location,
            **level.quantities.as_dict(),
            available=level.available,
            floor=level.floor,
            version=level.version,
        )


class LevelPage(Output):
    items: list[LevelRead]
    next_cursor: str | None


REASONS = Literal["inactive", "out_of_stock", "damaged", "quality_control", "safety_stock", "held"]


class LocationAvailability(Output):
    location: str
    name: str
    type: str
    priority: int
    active: bool
    available: int
    sellable: int = Field(description="Units that can still be held here, backorder included.")
    reason: REASONS | None = Field(
        description="Why nothing can be held here (null when something can): the location is"
        " archived or inactive; nothing is on hand; what is on hand is damaged, in quality"
        " control or safety stock (whichever keeps back most); or the rest is held."
    )
    on_hand: int
    reserved: int
    committed: int
    damaged: int
    quality_control: int
    safety_stock: int
    incoming: int


class AvailabilityRead(Output):
    sku: str
    available: int = Field(
        description="Sum of `available` over locations in use (active, not archived)."
    )
    sellable: int = Field(description="Sum of `sellable` over locations in use.")
    on_hand: int = Field(description="Every state below: sums over all locations.")
    reserved: int
    committed: int
    damaged: int
    quality_control: int
    safety_stock: int
    incoming: int
    locations: list[LocationAvailability]

    @classmethod
    def of(cls, sku: str, levels: list[LocatedLevel]) -> AvailabilityRead:
        return cls.model_validate(availability_document(sku, levels))


class AvailabilityList(Output):
    items: list[AvailabilityRead] = Field(description="In the order the SKUs were asked for.")
    missing: list[str] = Field(description="SKUs asked for that do not exist.")


def availability_document(sku: str, levels: list[LocatedLevel]) -> dict[str, Any]:
    """The `AvailabilityRead` document as plain data (the hot read paths
    serialise it directly; `AvailabilityRead.of` validates the same data, and
    a test checks both give the same bytes).

    One pass, each state spelled out and summed in a local: this runs for
    every storefront read and every location of the SKU (a generic sum per
    state cost a third more)."""
    rows = []
    available = sellable = 0
    on_hand = reserved = committed = damaged = quality_control = safety_stock = incoming = 0
    for x in levels:
        q, where = x.level.quantities, x.location
        sellable_here, reason = offer(x.level, where)
        row_available = q.available
        rows.append(
            {
                "location": where.id,
                "name": where.name,
                "type": where.type.value,
                "priority": where.priority,
                "active": where.active,
                "available": row_available,
                "sellable": sellable_here,
                "reason": reason,
                "on_hand": q.on_hand,
                "reserved": q.reserved,
                "committed": q.committed,
                "damaged": q.damaged,
                "quality_control": q.quality_control,
                "safety_stock": q.safety_stock,
                "incoming": q.incoming,
            }
        )
        on_hand += q.on_hand
        reserved += q.reserved
        committed += q.committed
        damaged += q.damaged
        quality_control += q.quality_control
        safety_stock += q.safety_stock
        incoming += q.incoming
        if where.usable:
            available += row_available
            sellable += sellable_here
    return {
        "sku": sku,
        "available": available,
        "sellable": sellable,
        "on_hand": on_hand,
        "reserved": reserved,
        "committed": committed,
        "damaged": damaged,
        "quality_control": quality_control,
        "safety_stock": safety_stock,
        "incoming": incoming,
        "locations": rows,
    }


class ChangeIn(Input):
    """One change to one level: exactly one of `delta` and `set`.

    - `delta`: add to `state` (negative to take away).
    - `set`: the counted value of `state`; with `expected`, only if it still is `expected`.
    - `from_state` + positive `delta`: move units from one state to another.
    """

    sku: Code
    location: Code
    state: AdjustableState
    delta: Delta | None = None
    set: SetValue | None = None
    expected: Count | None = Field(
        None, description="Apply only if `state` is exactly this now (compare-and-set)."
    )
    expected_version: Version | None = Field(
        None, description="Apply only if the level is at this version."
    )
    from_state: MovableState | None = None
    reason: Reference
    reference: Reference | None = None

    @model_validator(mode="after")
    def _shape(self) -> ChangeIn:
        if (self.delta is None) == (self.set is None):
            raise ValueError("give exactly one of 'delta' and 'set'")
        if self.delta == 0:
            raise ValueError("'delta' must not be 0")
        if self.from_state is not None:
            if self.delta is None or self.delta < 0:
                raise ValueError("a move ('from_state') needs a positive 'delta'")
            if self.state not in ("on_hand", "damaged", "quality_control"):
                raise ValueError("moves go between on_hand, damaged and quality_control")
            if self.from_state == self.state:
                raise ValueError("'from_state' and 'state' must differ")
        return self

    def to_domain(self) -> Change:
        return Change(
            key=LevelKey(self.sku, self.location),
            state=State(self.state),
            reason=self.reason,
            delta=self.delta,
            set_to=self.set,
            expected=self.expected,
            expected_version=self.expected_version,
            from_state=State(self.from_state) if self.from_state else None,
            reference=self.reference,
        )


class AdjustmentBatch(Input):
    changes: list[ChangeIn] = Field(min_length=1, max_length=1000)
    atomic: bool = Field(
        True,
        description="All changes or none (default). With false, each change stands alone.",
    )


class ItemProblem(Output):
    code: str
    detail: str


class ChangeResult(Output):
    index: int
    status: Literal["applied", "failed"]
    level: LevelRead | None = None
    error: ItemProblem | None = None


class AdjustmentResults(Output):
    applied: int
    failed: int
    results: list[ChangeResult]

    @classmethod
    def of(cls, result: AdjustResult) -> AdjustmentResults:
        results = [
            ChangeResult(
                index=o.index,
                status="applied" if o.error is None else "failed",
                level=LevelRead.of(o.level) if o.level is not None else None,
                error=ItemProblem(code=o.error.code, detail=o.error.detail) if o.error else None,
            )
            for o in result.outcomes
        ]
        return cls(applied=result.applied, failed=len(results) - result.applied, results=results)
