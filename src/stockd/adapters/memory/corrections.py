"""The in-memory fake of counts, stock reports and report sources."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from stockd.domain.corrections import Anchor, Policy, ReportLine, Source
from stockd.domain.events import Event, Movement, StockCounted
from stockd.domain.quantities import LevelKey
from stockd.service.ports import CountLineRecord, ReportRecord


@dataclass
class CorrectionData:
    sources: dict[str, Source] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    reports: list[ReportRecord] = field(default_factory=list)
    counts: list[CountLineRecord] = field(default_factory=list)

    def copy(self) -> CorrectionData:
        return CorrectionData(
            dict(self.sources), dict(self.policies), list(self.reports), list(self.counts)
        )


def _report_key(line: ReportLine) -> tuple[str, LevelKey, datetime, int]:
    return (line.source, line.key, line.observed_at, line.quantity)


class MemoryCorrections:
    def __init__(self, data: CorrectionData, events: list[Event]) -> None:
        self.d = data
        self.events = events

    async def moved_since(self, key: LevelKey, after: datetime) -> int:
        return sum(
            e.delta.on_hand
            for e in self.events
            if isinstance(e, Movement)
            and e.key == key
            and e.at > after
            and not (isinstance(e, StockCounted) and e.effective_at is not None)
        )

    async def latest_count(self, key: LevelKey) -> Anchor | None:
        mine = [x for x in self.d.counts if x.key == key]
        if not mine:
            return None
        top = max(mine, key=lambda x: (x.counted_at, -x.counted))
        return Anchor(top.counted_at, top.counted, "count", top.source)

    async def add_count_lines(self, lines: Sequence[CountLineRecord]) -> None:
        self.d.counts.extend(lines)

    async def count_lines(self, count_id: str) -> list[CountLineRecord]:
        return [x for x in self.d.counts if x.count_id == count_id]

    async def report_lines(self, key: LevelKey, window: timedelta) -> list[ReportLine]:
        mine = [r.line for r in self.d.reports if r.line.key == key]
        if not mine:
            return []
        latest = max(x.observed_at for x in mine)
        return [
            ReportLine(x.source, key, x.quantity, x.observed_at, self.d.sources[x.source].priority)
            for x in mine
            if x.observed_at >= latest - window
        ]

    async def add_report(self, record: ReportRecord) -> bool:
        if any(_report_key(r.line) == _report_key(record.line) for r in self.d.reports):
            return False
        self.d.reports.append(record)
        return True

    async def add_source(self, source: Source) -> bool:
        if source.id in self.d.sources:
            return False
        self.d.sources[source.id] = source
        return True

    async def sources(self, ids: Collection[str] = ()) -> dict[str, Source]:
        wanted = set(ids) if ids else set(self.d.sources)
        return {k: v for k, v in sorted(self.d.sources.items()) if k in wanted}

    async def set_location_policy(
        self, location: str, policy: Policy | None, now: datetime
    ) -> None:
        if policy is None:
            self.d.policies.pop(location, None)
        else:
            self.d.policies[location] = policy

    async def location_policies(self, locations: Collection[str]) -> dict[str, Policy]:
        return {k: v for k, v in self.d.policies.items() if k in locations}
