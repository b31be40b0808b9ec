"""Physical counts, stock reports and report sources."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from stockd.domain.corrections import Policy, ReportLine, Source
from stockd.domain.quantities import MAX_CHANGE, LevelKey
from stockd.entrypoints.api.schemas.common import Code, Input, Instant, Output
from stockd.service.handlers.counts import CountedOutcome, CountResult
from stockd.service.handlers.reports import LineAnswer, ReportResult
from stockd.service.ports import CountLineRecord

PolicyName = Literal["last_write_wins", "priority", "conservative"]


class CountLineIn(Input):
    sku: Code
    quantity: int = Field(ge=0, le=MAX_CHANGE, description="Units found on the shelf.")


class CountCreate(Input):
    """A cycle or full count of one location."""

    location: Code
    counted_at: Instant = Field(
        strict=False,  # an RFC 3339 string: JSON has no time type
        description="When the shelves were counted. Movements after it stay on top of the"
        " counted figure. Not in the future, nor older than STOCKD_CORRECTION_MAX_AGE_HOURS.",
    )
    lines: list[CountLineIn] = Field(min_length=1, max_length=1000)
    source: Code | None = Field(None, description="Who counted (a team, a scanner…).")
    blind: bool = Field(
        True,
        description="Blind count (the default): the answer does not show what stockd"
        " expected. `false` shows `expected` and `adjustment` per line.",
    )


class CountLineRead(Output):
    sku: str
    counted: int
    outcome: Literal["applied", "superseded"]
    why: str
    expected: int | None = Field(
        None, description="What the ledger put on hand at `counted_at` (only when not blind)."
    )
    adjustment: int | None = Field(None, description="How far on_hand moved (only when not blind).")
    short: int | None = Field(
        None,
        description="Units the count found missing that are still held, committed or kept as"
        " safety stock: on_hand stays that far above the count (in the answer to a count"
        " that is not blind; not kept).",
    )

    @classmethod
    def of(cls, x: CountedOutcome | CountLineRecord, blind: bool) -> CountLineRead:
        if isinstance(x, CountedOutcome):
            sku, short = x.sku, x.short
        else:
            sku, short = x.key.sku, None
        shown = not blind
        return cls(
            sku=sku,
            counted=x.counted,
            outcome=x.outcome,
            why=x.why,
            expected=x.expected if shown else None,
            adjustment=x.adjustment if shown else None,
            short=short if shown else None,
        )


class CountRead(Output):
    id: str
    location: str
    counted_at: datetime
    source: str | None
    recorded_at: datetime
    lines: list[CountLineRead]

    @classmethod
    def of(cls, result: CountResult, blind: bool) -> CountRead:
        return cls(
            id=result.id,
            location=result.location,
            counted_at=result.counted_at,
            source=result.source,
            recorded_at=result.recorded_at,
            lines=[CountLineRead.of(x, blind) for x in result.lines],
        )


class ReportLineIn(Input):
    sku: Code
    location: Code
    quantity: int = Field(ge=0, le=MAX_CHANGE, description="The figure the source observed.")
    observed_at: Instant = Field(strict=False, description="When the source observed it.")

    def to_domain(self, source: str) -> ReportLine:
        return ReportLine(
            source, LevelKey(self.sku, self.location), self.quantity, self.observed_at
        )


class StockReportCreate(Input):
    source: Code = Field(description="A registered source (`POST /v1/sources`).")
    lines: list[ReportLineIn] = Field(min_length=1, max_length=1000)


class ReportLineRead(Output):
    index: int
    sku: str
    location: str
    quantity: int
    observed_at: datetime
    outcome: Literal["applied", "ignored", "superseded"]
    why: str
    adjustment: int = Field(description="How far on_hand moved with this line.")
    on_hand: int = Field(description="on_hand after this line.")

    @classmethod
    def of(cls, x: LineAnswer) -> ReportLineRead:
        return cls(
            index=x.index,
            sku=x.line.key.sku,
            location=x.line.key.location,
            quantity=x.line.quantity,
            observed_at=x.line.observed_at,
            outcome=x.outcome,
            why=x.why,
            adjustment=x.adjustment,
            on_hand=x.on_hand,
        )


class StockReportRead(Output):
    source: str
    received_at: datetime
    lines: list[ReportLineRead]

    @classmethod
    def of(cls, result: ReportResult) -> StockReportRead:
        return cls(
            source=result.source,
            received_at=result.received_at,
            lines=[ReportLineRead.of(x) for x in result.lines],
        )


class SourceCreate(Input):
    id: Code
    priority: int = Field(
        0, ge=-1_000_000, le=1_000_000, description="Higher stands under `priority`."
    )
    policy: PolicyName = Field(
        "last_write_wins",
        description="How conflicting figures are settled where this source is the"
        " highest-priority one reporting (unless the location overrides it).",
    )

    def to_domain(self) -> Source:
        return Source(self.id, self.priority, Policy(self.policy), datetime.min)


class SourceRead(Output):
    id: str
    priority: int
    policy: PolicyName
    created_at: datetime

    @classmethod
    def of(cls, s: Source) -> SourceRead:
        return cls(id=s.id, priority=s.priority, policy=s.policy.value, created_at=s.created_at)


class SourceList(Output):
    items: list[SourceRead]


class ReportPolicySet(Input):
    policy: PolicyName | None = Field(
        description="The policy at this location whatever the sources say; null: none."
    )


class ReportPolicyRead(Output):
    location: str
    policy: PolicyName | None
