"""Reconciliations: a run's request, its report and its findings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from stockd.domain.reconciliation import Finding, Run
from stockd.entrypoints.api.schemas.common import Code, Input, Output

Skus = Annotated[
    list[Code],
    Field(min_length=1, max_length=1000, description="Only these SKUs; default: every SKU."),
]


class ReconciliationCreate(Input):
    apply: bool = Field(
        False, description="Repair what it finds (compensating ledger events); default: report."
    )
    skus: Skus | None = None


class FindingRead(Output):
    check: str = Field(description="`replay`, `holds`, `orders`, `transfers`, `incoming`, …")
    sku: str
    location: str | None
    channel: str | None
    subject: str = Field(description="Where, in words: `A@x`, `A through web`, …")
    expected: dict[str, int] = Field(description="What the check holds true, per quantity.")
    actual: dict[str, int] = Field(description="What there was, per quantity.")
    detail: str
    seqs: list[int] = Field(description="The latest ledger events involved (up to 10).")
    repaired: bool
    repair_note: str | None = Field(description="What the repair did, or why it did not.")

    @classmethod
    def of(cls, f: Finding) -> FindingRead:
        return cls.model_validate(f.as_dict())


class ReconciliationSummary(Output):
    id: str = Field(examples=["rec_01a22db330b2583b5a7f00e31026"])
    started_at: datetime
    finished_at: datetime | None = Field(description="Null while it runs (or if it died).")
    apply: bool
    skus: list[str] | None
    actor: str
    levels_checked: int
    differences: int
    repaired: int
    discrepancy_rate: float = Field(description="Differences ÷ levels checked.")
    clean: bool

    @classmethod
    def of(cls, run: Run) -> ReconciliationSummary:
        document = run.as_dict()
        del document["findings"]
        return cls.model_validate(document)


class ReconciliationRead(ReconciliationSummary):
    findings: list[FindingRead] = Field(
        description="Its findings in the order found, a page at a time (`differences` counts"
        " them all)."
    )
    next_cursor: str | None = Field(description="The next page of findings, if any.")

    @classmethod
    def with_findings(cls, run: Run, next_cursor: str | None) -> ReconciliationRead:
        return cls.model_validate(
            ReconciliationSummary.of(run).model_dump()
            | {"findings": [FindingRead.of(f) for f in run.findings], "next_cursor": next_cursor}
        )


class ReconciliationPage(Output):
    items: list[ReconciliationSummary]
    next_cursor: str | None
