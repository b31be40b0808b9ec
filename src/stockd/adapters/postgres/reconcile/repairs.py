"""Repairs: compensating ledger events, never an edit in place.

Each repair runs in a transaction of its own per level (a channel's counter:
per counter), through the normal write path: the level's row lock, the
database-side conditional delta update (`PostgresLevels.apply`, which keeps
every invariant) and the ledger writer (which moves the channels' counters
with the events). Under the lock it looks at the difference again: a change
that committed between the report and the repair is never "repaired" away,
and a difference that is gone is left alone.

Which side is true:

- a level's quantities vs its ledger (`replay`): the ledger. The level was
  changed behind the ledger's back, and a movement applied to both sides
  could never close that gap. So the ledger first records the change as
  found (`reconcile.found`: delta = level − replay, after = the level; not
  applied, the level already has it), then takes it back
  (`reconcile.corrected`: delta = replay − level, applied). Afterwards the
  replay equals the level again and every event's `after` is the running
  sum (`ledger verify`: replay and chain clean), and the stream tells its
  consumers what the level went through.
- `reserved` / `committed` vs the active holds / open orders: the holds and
  orders (they are what will later release, ship or cancel). The correction
  is made per channel at the level — the ledger's units of each channel at
  the level against the holds / orders that name it — so the channels'
  counters follow in the same events.
- `incoming` vs the transfers: the transfers.
- a channel's counter vs its events: the events (the counter is their
  running sum: `reconcile.counter_corrected` puts it back); vs the holds
  and orders that name it: those (the levels' channel corrections above).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime

import asyncpg

from stockd.adapters.postgres import comparisons
from stockd.adapters.postgres.comparisons import MOVEMENTS, SKU_LIST, Scope
from stockd.adapters.postgres.uow import PostgresUnitOfWork, PostgresUnitOfWorkFactory
from stockd.domain.channels import BYPASS
from stockd.domain.events import ChannelCounterCorrected, DriftFound, ReconcileCorrected
from stockd.domain.quantities import Level, LevelKey, Quantities
from stockd.domain.reconciliation import Finding, RunRef


class Unrepaired(Exception):
    """A repair that wrote nothing, and why."""


Repair = Callable[[PostgresUnitOfWorkFactory, Finding, RunRef], Awaitable[str]]
"""Repairs a finding (committing its own transactions); says what it did.
Raises `Unrepaired` when it cannot."""

ALREADY = "no longer differs (repaired with an earlier finding, or changed since)"


async def _locked(uow: PostgresUnitOfWork, key: LevelKey, at: datetime) -> Level:
    await uow.levels.create_missing([key], at)
    found = (await uow.levels.lock([key])).get(key)
    if found is None:
        raise Unrepaired(f"there is no level {key} and none can be made (unknown SKU?)")
    return found


async def _compare(
    uow: PostgresUnitOfWork, rule: Callable[[Scope], str], sku: str
) -> list[asyncpg.Record]:
    """The rows of a comparison shared with `ledger verify` for one SKU: run
    under the repair's lock, so the difference is looked at again as it
    stands now."""
    return await uow.levels.conn.fetch(rule(SKU_LIST), [sku])


async def _correct(
    uow: PostgresUnitOfWork,
    key: LevelKey,
    changes: Sequence[tuple[Quantities, str | None, str | None]],
    finding: Finding,
    run: RunRef,
) -> None:
    """Apply each (delta, channel, transfer) to the level as a
    `reconcile.corrected` event (takings first, so that no step breaks an
    invariant the end state keeps)."""
    events = []
    for delta, channel, transfer in sorted(changes, key=lambda c: sum(c[0].as_dict().values())):
        after = await uow.levels.apply(key, delta, run.at)
        if after is None:
            raise Unrepaired(
                f"correcting {key} by {_words(delta)} would break an invariant of the level"
            )
        events.append(
            ReconcileCorrected(
                key=key,
                delta=delta,
                after=after.quantities,
                at=run.at,
                actor=run.actor,
                reason=f"reconcile: {finding.check}",
                channel=channel,
                transfer_id=transfer,
                reconciliation_id=run.id,
                check=finding.check,
            )
        )
    await uow.ledger.append(events)


def _words(delta: Quantities) -> str:
    return ", ".join(f"{c} {v:+d}" for c, v in delta.as_dict().items() if v) or "nothing"


def _key(finding: Finding) -> LevelKey:
    assert finding.location is not None
    return LevelKey(finding.sku, finding.location)


async def replay(uows: PostgresUnitOfWorkFactory, finding: Finding, run: RunRef) -> str:
    key = _key(finding)
    async with uows() as uow:
        level = await _locked(uow, key, run.at)
        rows = await _compare(uow, comparisons.replay, key.sku)
        row = next((r for r in rows if r["location"] == key.location), None)
        if row is None:
            return ALREADY
        ledger = Quantities(*row["replayed"])
        drift = level.quantities + (-ledger)
        found = DriftFound(
            key=key,
            delta=drift,
            after=level.quantities,
            at=run.at,
            actor=run.actor,
            reason="reconcile: replay (changed behind the ledger's back)",
            reconciliation_id=run.id,
            check=finding.check,
        )
        await uow.ledger.append([found])
        await _correct(uow, key, [(-drift, None, None)], finding, run)
        await uow.commit()
    return f"recorded the change found ({_words(drift)}) and took it back"


_BY_CHANNEL = f"""
SELECT channel, coalesce(sum(d_reserved), 0)::bigint AS reserved,
       coalesce(sum(d_committed), 0)::bigint AS committed
FROM ledger_events WHERE sku = $1 AND location = $2 AND {MOVEMENTS}
GROUP BY channel
"""
_HELD_BY_CHANNEL = """
SELECT r.channel, sum(rl.quantity)::bigint AS units
FROM reservations r JOIN reservation_lines rl ON rl.reservation_id = r.id
WHERE rl.sku = $1 AND rl.location = $2 AND r.status = 'active'
GROUP BY r.channel
"""
_OWED_BY_CHANNEL = """
SELECT o.channel, sum(ol.committed)::bigint AS units
FROM orders o JOIN order_lines ol ON ol.order_id = o.id
WHERE ol.sku = $1 AND ol.location = $2
GROUP BY o.channel
"""


async def attribution(uows: PostgresUnitOfWorkFactory, finding: Finding, run: RunRef) -> str:
    """`reserved` and `committed` of the level brought to its holds' and
    orders', channel by channel."""
    return await _attribute(uows, _key(finding), finding, run)


async def _attribute(
    uows: PostgresUnitOfWorkFactory, key: LevelKey, finding: Finding, run: RunRef
) -> str:
    async with uows() as uow:
        level = await _locked(uow, key, run.at)
        conn = uow.levels.conn
        logged = {r["channel"]: r for r in await conn.fetch(_BY_CHANNEL, *key)}
        held: Mapping[str | None, int] = {
            r["channel"]: r["units"] for r in await conn.fetch(_HELD_BY_CHANNEL, *key)
        }
        owed: Mapping[str | None, int] = {
            r["channel"]: r["units"] for r in await conn.fetch(_OWED_BY_CHANNEL, *key)
        }
        q = level.quantities
        if q.reserved != sum(r["reserved"] for r in logged.values()) or q.committed != sum(
            r["committed"] for r in logged.values()
        ):
            raise Unrepaired(f"{key} differs from its own ledger: the replay repair comes first")
        changes: list[tuple[Quantities, str | None, str | None]] = []
        for channel in sorted(held.keys() | owed.keys() | logged.keys(), key=lambda c: c or ""):
            row = logged.get(channel)
            delta = Quantities(
                reserved=held.get(channel, 0) - (row["reserved"] if row else 0),
                committed=owed.get(channel, 0) - (row["committed"] if row else 0),
            )
            if not delta.is_zero():
                changes.append((delta, channel, None))
        if not changes:
            return ALREADY
        await _correct(uow, key, changes, finding, run)
        await uow.commit()
    return "; ".join(
        f"{_words(d)}" + (f" of channel {c}" if c is not None else "") for d, c, _ in changes
    )


async def transfer(uows: PostgresUnitOfWorkFactory, finding: Finding, run: RunRef) -> str:
    key, transfer_id = _key(finding), finding.transfer_id
    async with uows() as uow:
        await _locked(uow, key, run.at)
        rows = await _compare(uow, comparisons.transfers, key.sku)
        row = next((r for r in rows if r["transfer_id"] == transfer_id), None)
        if row is None:
            return ALREADY
        recorded, logged = row["recorded"], row["logged"]
        delta = Quantities(incoming=recorded - logged)
        await _correct(uow, key, [(delta, None, transfer_id)], finding, run)
        await uow.commit()
    return f"incoming {delta.incoming:+d} for transfer {transfer_id}"


async def incoming(uows: PostgresUnitOfWorkFactory, finding: Finding, run: RunRef) -> str:
    key = _key(finding)
    async with uows() as uow:
        await _locked(uow, key, run.at)
        rows = await _compare(uow, comparisons.incoming, key.sku)
        row = next((r for r in rows if r["location"] == key.location), None)
        if row is None:
            return ALREADY
        short = row["in_transit"] - row["incoming"]
        await _correct(uow, key, [(Quantities(incoming=short), None, None)], finding, run)
        await uow.commit()
    return f"incoming {short:+d} to cover the units in transit"


_COUNTER = """
INSERT INTO channel_stock (sku, channel, outstanding) VALUES ($1, $2, 0)
ON CONFLICT (sku, channel) DO NOTHING
"""
_LOCK_COUNTER = "SELECT outstanding FROM channel_stock WHERE sku = $1 AND channel = $2 FOR UPDATE"
_LOCATIONS = f"""
SELECT location FROM ledger_events WHERE sku = $1 AND channel = $2 AND {MOVEMENTS}
UNION
SELECT rl.location FROM reservations r JOIN reservation_lines rl ON rl.reservation_id = r.id
WHERE rl.sku = $1 AND r.channel = $2 AND r.status = 'active'
UNION
SELECT ol.location FROM orders o JOIN order_lines ol ON ol.order_id = o.id
WHERE ol.sku = $1 AND o.channel = $2
ORDER BY 1
"""


async def channel(uows: PostgresUnitOfWorkFactory, finding: Finding, run: RunRef) -> str:
    """The counter back to its events' replay; then each level of the SKU
    whose units of the channel differ from its holds' and orders'."""
    sku, name = finding.sku, finding.channel
    assert name is not None
    assert name != BYPASS
    done = []
    async with uows() as uow:
        conn = uow.levels.conn
        await conn.execute(_COUNTER, sku, name)
        await conn.execute(_LOCK_COUNTER, sku, name)
        rows = await _compare(uow, comparisons.channels, sku)
        row = next((r for r in rows if r["channel"] == name), None)
        counted, replayed = (row["counted"], row["replayed"]) if row else (0, 0)
        if counted != replayed:
            await conn.execute(
                "UPDATE channel_stock SET outstanding = outstanding + $3"
                " WHERE sku = $1 AND channel = $2",
                sku,
                name,
                replayed - counted,
            )
            await uow.ledger.append(
                [
                    ChannelCounterCorrected(
                        sku=sku,
                        channel=name,
                        found=counted,
                        restored=replayed,
                        at=run.at,
                        actor=run.actor,
                        reason="reconcile: channels (counter changed behind the ledger's back)",
                        reconciliation_id=run.id,
                        check=finding.check,
                    )
                ]
            )
            done.append(f"counter {counted} → {replayed} (its events' replay)")
        await uow.commit()
        locations = [r["location"] for r in await conn.fetch(_LOCATIONS, sku, name)]
    for location in locations:
        note = await _attribute(uows, LevelKey(sku, location), finding, run)
        if note != ALREADY:
            done.append(f"{sku}@{location}: {note}")
    return "; ".join(done) if done else ALREADY
