"""Reconciliation: what the reconciler found and what a run reports.

The reconciler compares each level with what should explain it (the ledger,
the holds, the orders, the transfers) and each channel's counter with the
holds and orders that name the channel. A difference is a `Finding`; a run
is a `Run`. Which side is true when two disagree is the check's rule
(docs/operations.md, "Reconciliation"): the ledger for a level's quantities,
the holds / orders / transfers for `reserved` / `committed` / `incoming`, the
active holds and open orders for a channel's counter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

MAX_SEQS = 10
"""Most ledger `seq`s a finding names (the latest events involved)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference: which check found it, where, what should be there
    (`expected`, by the check's truth) and what is (`actual`), per quantity."""

    check: str
    sku: str
    location: str | None
    channel: str | None
    subject: str
    """Where, in words: `A@x`, `A through web`, `transfer trf_…: A`."""
    expected: Mapping[str, int]
    actual: Mapping[str, int]
    detail: str
    seqs: tuple[int, ...] = ()
    """The latest ledger events involved (at most `MAX_SEQS`), oldest first."""
    transfer_id: str | None = None
    repaired: bool = False
    repair_note: str | None = None
    """What the repair did, or why it did not."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "sku": self.sku,
            "location": self.location,
            "channel": self.channel,
            "subject": self.subject,
            "expected": dict(self.expected),
            "actual": dict(self.actual),
            "detail": self.detail,
            "seqs": list(self.seqs),
            "repaired": self.repaired,
            "repair_note": self.repair_note,
        }


@dataclass(frozen=True, slots=True)
class RunRef:
    """The run a repair belongs to: its id, who runs it, and when."""

    id: str
    actor: str
    at: datetime


def discrepancy_rate(differences: int, levels: int) -> Decimal:
    """Differences ÷ levels checked (0 when nothing was checked), to 6 places."""
    if levels <= 0:
        return Decimal(0)
    return (Decimal(differences) / Decimal(levels)).quantize(Decimal("0.000001"))


@dataclass(frozen=True, slots=True)
class Run:
    """A reconciliation run, as `GET /v1/reconciliations/{id}` shows it."""

    id: str
    started_at: datetime
    finished_at: datetime | None
    apply: bool
    skus: tuple[str, ...] | None
    actor: str
    levels_checked: int
    differences: int
    repaired: int
    discrepancy_rate: Decimal
    findings: tuple[Finding, ...] = field(default=())
    """Its findings, or the first of them (see `findings_shown`)."""

    @property
    def clean(self) -> bool:
        return self.differences == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "apply": self.apply,
            "skus": None if self.skus is None else list(self.skus),
            "actor": self.actor,
            "levels_checked": self.levels_checked,
            "differences": self.differences,
            "repaired": self.repaired,
            "discrepancy_rate": float(self.discrepancy_rate),
            "clean": self.clean,
            "findings": [f.as_dict() for f in self.findings],
        }
