"""External stock reports, their sources and the per-location policies."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from stockd import errors
from stockd.domain.commands import RegisterSource, ReportStock, SetReportPolicy
from stockd.domain.corrections import ReportLine, Source, anchor_of, rfc3339, why_standing
from stockd.service import corrections
from stockd.service.context import Context, Deps
from stockd.service.handlers.references import unknown_references
from stockd.service.ports import ReportRecord, UnitOfWork


@dataclass(frozen=True, slots=True)
class LineAnswer:
    index: int
    line: ReportLine
    outcome: str
    """`applied`, `ignored` or `superseded`."""
    why: str
    adjustment: int
    on_hand: int


@dataclass(frozen=True, slots=True)
class ReportResult:
    source: str
    received_at: datetime
    lines: tuple[LineAnswer, ...]


async def report_stock(cmd: ReportStock, uow: UnitOfWork, ctx: Context, deps: Deps) -> ReportResult:
    now = deps.clock.now()
    sources = await uow.corrections.sources()
    source = sources.get(cmd.source)
    if source is None:
        raise errors.UnknownReference(
            errors.Issue(
                f"unknown source {cmd.source!r}: register it first (POST /v1/sources)", "source"
            )
        )
    issues = [
        issue
        for i, x in enumerate(cmd.lines)
        if (
            issue := corrections.check_time(
                x.observed_at, now, cmd.max_age, f"lines[{i}].observed_at"
            )
        )
        is not None
    ]
    if issues:
        raise errors.InvalidRequest(*issues)
    missing = await unknown_references(
        uow, [(x.key.sku, x.key.location) for x in cmd.lines], "lines"
    )
    if missing:
        raise errors.UnknownReference(*missing)

    keys = {x.key for x in cmd.lines}
    await uow.levels.create_missing(keys, now)
    levels = await uow.levels.lock(keys)  # every level at once, in (sku, location) order
    overrides = await uow.corrections.location_policies({k.location for k in keys})
    policies = {s.id: s.policy for s in sources.values()}
    answers: list[LineAnswer] = []
    for index, given in enumerate(cmd.lines):
        line = replace(given, source=source.id, priority=source.priority)
        key = line.key
        level = levels[key]
        known = await uow.corrections.report_lines(key, cmd.window)
        if line in known:
            answers.append(_duplicate(index, line, level.quantities.on_hand))
            continue
        stand = corrections.standing_of(
            [*known, line], policies, overrides.get(key.location), cmd.window
        )
        assert stand.line is not None
        report = corrections.report_anchor(stand.line)
        anchor = anchor_of(await uow.corrections.latest_count(key), report)
        assert anchor is not None
        assert report is not None
        found = await corrections.settlement(uow, level, anchor)
        if stand.line != line:
            outcome = "superseded"
            why = (
                f"{report.describe()} stands: {why_standing(stand.line, stand.policy, cmd.window)}"
            )
        elif anchor is not report:
            outcome = "superseded"
            why = f"{anchor.describe()} is later, and stands"
        else:
            outcome = "applied"
            why = f"stands: {why_standing(line, stand.policy, cmd.window)}"
        if found.short:
            why += (
                f"; {found.short} units are still held, committed or kept as safety stock,"
                " so on_hand stays that far above the figure"
            )
        if not await uow.corrections.add_report(ReportRecord(line, now, outcome, why)):
            answers.append(_duplicate(index, line, level.quantities.on_hand))
            continue
        after = await corrections.settle(
            uow, level, found, now, ctx, reason=f"stock report from {source.id}"
        )
        levels[key] = after
        answers.append(
            LineAnswer(index, line, outcome, why, found.adjustment, after.quantities.on_hand)
        )
    return ReportResult(source.id, now, tuple(answers))


def _duplicate(index: int, line: ReportLine, on_hand: int) -> LineAnswer:
    return LineAnswer(
        index,
        line,
        "ignored",
        f"duplicate: {line.source} already reported {line.quantity} for"
        f" {line.key.sku} at {line.key.location} observed at {rfc3339(line.observed_at)}",
        0,
        on_hand,
    )


async def register_source(cmd: RegisterSource, uow: UnitOfWork, ctx: Context, deps: Deps) -> Source:
    source = replace(cmd.source, created_at=deps.clock.now())
    if not await uow.corrections.add_source(source):
        raise errors.AlreadyExists(
            f"source {source.id!r} already exists", resource="source", id=source.id
        )
    return source


async def set_report_policy(
    cmd: SetReportPolicy, uow: UnitOfWork, ctx: Context, deps: Deps
) -> None:
    if not await uow.catalog.locations({cmd.location}):
        raise errors.NotFound(f"location {cmd.location!r} does not exist")
    await uow.corrections.set_location_policy(cmd.location, cmd.policy, deps.clock.now())
