"""Physical counts: on_hand set to the counted figure as of `counted_at`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from stockd import errors
from stockd.domain.commands import RecordCount
from stockd.domain.corrections import Anchor, anchor_of, later_count, rfc3339
from stockd.domain.quantities import LevelKey
from stockd.service import corrections
from stockd.service.context import Context, Deps
from stockd.service.handlers.references import unknown_references
from stockd.service.ports import CountLineRecord, UnitOfWork


@dataclass(frozen=True, slots=True)
class CountedOutcome:
    sku: str
    counted: int
    expected: int
    adjustment: int
    short: int
    on_hand: int
    outcome: str
    why: str


@dataclass(frozen=True, slots=True)
class CountResult:
    id: str
    location: str
    counted_at: datetime
    source: str | None
    recorded_at: datetime
    lines: tuple[CountedOutcome, ...]


async def record_count(cmd: RecordCount, uow: UnitOfWork, ctx: Context, deps: Deps) -> CountResult:
    now = deps.clock.now()
    issues = []
    late = corrections.check_time(cmd.counted_at, now, cmd.max_age, "counted_at")
    if late is not None:
        issues.append(late)
    seen: dict[str, int] = {}
    for i, line in enumerate(cmd.lines):
        if line.sku in seen:
            raise errors.DuplicateLines(
                errors.Issue(
                    f"SKU {line.sku!r} is counted twice (lines {seen[line.sku]} and {i});"
                    " give each SKU once with its total",
                    f"lines[{i}].sku",
                    i,
                )
            )
        seen[line.sku] = i
    if issues:
        raise errors.InvalidRequest(*issues)
    missing = await unknown_references(uow, [(x.sku, cmd.location) for x in cmd.lines], "lines")
    if missing:
        raise errors.UnknownReference(*missing)

    keys = [LevelKey(x.sku, cmd.location) for x in cmd.lines]
    # A count may find stock nobody recorded: the level is created.
    await uow.levels.create_missing(keys, now)
    levels = await uow.levels.lock(keys)
    policy = (await uow.corrections.location_policies([cmd.location])).get(cmd.location)
    policies = {s.id: s.policy for s in (await uow.corrections.sources()).values()}
    count_id = deps.new_id("cnt")
    mine = Anchor(cmd.counted_at, 0, "count", cmd.source)
    records: list[CountLineRecord] = []
    outcomes: list[CountedOutcome] = []
    for line, key in zip(cmd.lines, keys, strict=True):
        level = levels[key]
        fresh = Anchor(mine.effective_at, line.quantity, "count", cmd.source)
        lines = await uow.corrections.report_lines(key, cmd.window)
        report = corrections.standing_of(lines, policies, policy, cmd.window).line
        counts = later_count(await uow.corrections.latest_count(key), fresh)
        anchor = anchor_of(counts, corrections.report_anchor(report))
        assert anchor is not None
        found = await corrections.settlement(uow, level, anchor)
        applied = anchor is fresh
        # What the ledger says on_hand held at counted_at: the settlement's
        # own figure when this count is the anchor (most counts).
        expected = (
            found.expected
            if applied
            else level.quantities.on_hand - await uow.corrections.moved_since(key, cmd.counted_at)
        )
        after = await corrections.settle(
            uow, level, found, now, ctx, reason="physical count", reference=count_id
        )
        why = (
            f"on_hand is the count as of {rfc3339(cmd.counted_at)} plus what moved since"
            if applied
            else f"{anchor.describe()} is later, and stands"
        )
        if found.short:
            why += (
                f"; {found.short} of the units found missing are still held, committed or kept"
                " as safety stock, so on_hand stays that far above the count until they are"
                " released or cancelled"
            )
        outcome = "applied" if applied else "superseded"
        records.append(
            CountLineRecord(
                count_id,
                key,
                cmd.counted_at,
                line.quantity,
                expected,
                found.adjustment,
                outcome,
                why,
                cmd.source,
                now,
            )
        )
        outcomes.append(
            CountedOutcome(
                line.sku,
                line.quantity,
                expected,
                found.adjustment,
                found.short,
                after.quantities.on_hand,
                outcome,
                why,
            )
        )
    await uow.corrections.add_count_lines(records)
    return CountResult(count_id, cmd.location, cmd.counted_at, cmd.source, now, tuple(outcomes))
