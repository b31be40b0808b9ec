"""Store sales from a point of sale: units leave the shelf, once per receipt."""

from __future__ import annotations

from dataclasses import dataclass

from stockd import errors
from stockd.domain.commands import RecordSale
from stockd.domain.events import Movement, SaleRecorded
from stockd.domain.quantities import LevelKey, Quantities
from stockd.service.channel_book import ChannelBook
from stockd.service.context import Context, Deps
from stockd.service.handlers import lines
from stockd.service.handlers.moves import move
from stockd.service.ports import SaleRecord, UnitOfWork


@dataclass(frozen=True, slots=True)
class SaleResult:
    sale: SaleRecord
    replayed: bool = False


async def record_sale(cmd: RecordSale, uow: UnitOfWork, ctx: Context, deps: Deps) -> SaleResult:
    """Take sold units out of `on_hand` at the store. They must be available:
    units held for checkouts or orders are not on the shelf to sell. The same
    receipt (location, external id) recorded again changes nothing."""
    now = deps.clock.now()
    lines.unique_skus(cmd.lines)
    await lines.usable_location(uow, cmd.location)
    await lines.sellable_skus(uow, cmd.lines)
    record = SaleRecord(cmd.location, cmd.external_id, cmd.fingerprint, cmd.lines, now)
    prior = await uow.sales.claim(record)
    if prior is not None:
        if prior.fingerprint != cmd.fingerprint:
            raise errors.AlreadyExists(
                f"receipt {cmd.external_id!r} at {cmd.location!r} was recorded with other lines",
                resource="sale",
                id=cmd.external_id,
            )
        return SaleResult(prior, replayed=True)

    keys = {LevelKey(x.sku, cmd.location): x.quantity for x in cmd.lines}
    levels = await uow.levels.lock(keys)
    lines.require_available(levels, keys, "on the shelf")
    await ChannelBook.check(uow, cmd.channel, keys, locked=True)
    movements: list[Movement] = []
    for key in sorted(keys):
        movements.append(
            await move(
                uow,
                SaleRecorded,
                key,
                Quantities(on_hand=-keys[key]),
                now,
                ctx,
                "the store refused the sale",
                reason="store sale",
                reference=cmd.external_id,
                channel=cmd.channel,
            )
        )
    await uow.ledger.append(movements)
    return SaleResult(record)
