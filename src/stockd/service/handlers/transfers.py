"""Transfers between locations: sent from on_hand, received from incoming."""

from __future__ import annotations

from stockd import errors
from stockd.domain.commands import ChangeTransferEta, CreateTransfer, ReceiveTransfer, SkuQuantity
from stockd.domain.events import (
    Movement,
    TransferCreated,
    TransferIncoming,
    TransferReceived,
    TransferSent,
    TransferStatusChanged,
)
from stockd.domain.promises import SupplyKind
from stockd.domain.quantities import LevelKey, Quantities
from stockd.domain.transfers import Transfer, TransferLine, TransferStatus, transfer_status
from stockd.service import promises
from stockd.service.context import Context, Deps
from stockd.service.handlers import inbound, lines
from stockd.service.handlers.catalog import check_version
from stockd.service.handlers.moves import move
from stockd.service.ports import UnitOfWork

TRANSFER_LINES = inbound.LineNames("not_in_transfer", "exceeds_in_transit", "in transit")


async def create_transfer(
    cmd: CreateTransfer, uow: UnitOfWork, ctx: Context, deps: Deps
) -> Transfer:
    now = deps.clock.now()
    if cmd.source == cmd.destination:
        raise errors.InvalidRequest(
            errors.Issue(f"a transfer needs two locations, not {cmd.source!r} twice", "to")
        )
    lines.unique_skus(cmd.lines)
    expected_at = cmd.expected_at or now + deps.transfer_transit
    lines.not_before(expected_at, now)
    await lines.usable_location(uow, cmd.source, "from")
    await lines.usable_location(uow, cmd.destination, "to")
    await lines.known_skus(uow, cmd.lines)

    sent = {LevelKey(x.sku, cmd.source): x.quantity for x in cmd.lines}
    arriving = {LevelKey(x.sku, cmd.destination): x.quantity for x in cmd.lines}
    await uow.levels.create_missing(arriving.keys(), now)
    levels = await uow.levels.lock([*sent, *arriving])
    lines.require_available(levels, sent, "to send")
    transfer_id = deps.new_id("trf")
    movements: list[Movement] = []
    for key in sorted(sent.keys() | arriving.keys()):
        delta = (
            Quantities(on_hand=-sent[key]) if key in sent else Quantities(incoming=arriving[key])
        )
        movements.append(
            await move(
                uow,
                TransferSent if key in sent else TransferIncoming,
                key,
                delta,
                now,
                ctx,
                "the store refused the transfer",
                reason=f"transfer {cmd.source} -> {cmd.destination}",
                reference=cmd.reference,
                transfer_id=transfer_id,
            )
        )
    transfer = Transfer(
        transfer_id,
        cmd.source,
        cmd.destination,
        TransferStatus.IN_TRANSIT,
        tuple(TransferLine(x.sku, x.quantity) for x in sorted(cmd.lines, key=lambda x: x.sku)),
        now,
        cmd.reference,
        expected_at,
    )
    await uow.transfers.add(transfer)
    created = TransferCreated(
        at=now,
        actor=ctx.actor,
        idempotency_key=ctx.idempotency_key,
        reference=cmd.reference,
        transfer_id=transfer.id,
        source=transfer.source,
        destination=transfer.destination,
        lines=tuple({"sku": x.sku, "quantity": x.quantity} for x in transfer.lines),
        status=transfer.status.value,
        expected_at=expected_at,
    )
    dated = await promises.date_undated(uow, arriving.keys(), ctx, now)
    await uow.ledger.append([created, *movements, *dated])
    return transfer


async def receive_transfer(
    cmd: ReceiveTransfer, uow: UnitOfWork, ctx: Context, deps: Deps
) -> Transfer:
    now = deps.clock.now()
    transfer = await _transfer(uow, cmd.transfer_id)
    arrived = cmd.lines or tuple(
        SkuQuantity(x.sku, x.in_transit) for x in transfer.lines if x.in_transit
    )
    if not arrived:
        raise errors.NothingInTransit(
            f"transfer {transfer.id!r} has nothing left in transit: all of it was received",
            transfer_status=transfer.status.value,
        )
    to_come = {x.sku: x.in_transit for x in transfer.lines}
    await inbound.check_lines(uow, arrived, to_come, TRANSFER_LINES, "this transfer", "received")
    events = await inbound.receive(
        uow,
        SupplyKind.TRANSFER,
        transfer.id,
        transfer.destination,
        arrived,
        lambda sku, units: uow.transfers.receive(transfer.id, sku, units),
        TransferReceived,
        ctx,
        now,
        reason=f"received from {transfer.source}",
        reference=transfer.reference,
        transfer_id=transfer.id,
    )
    await uow.ledger.append(events)
    updated = await uow.transfers.get(transfer.id)
    assert updated is not None
    status = transfer_status(updated.lines)
    if status is not updated.status:
        await uow.transfers.set_status(transfer.id, status, now)
        await uow.ledger.append(
            [
                TransferStatusChanged(
                    at=now,
                    actor=ctx.actor,
                    idempotency_key=ctx.idempotency_key,
                    reference=transfer.reference,
                    transfer_id=transfer.id,
                    previous=updated.status.value,
                    status=status.value,
                )
            ]
        )
        updated = await uow.transfers.get(transfer.id)
        assert updated is not None
    return updated


async def change_eta(cmd: ChangeTransferEta, uow: UnitOfWork, ctx: Context, deps: Deps) -> Transfer:
    """The units still in transit are expected at `expected_at`; the holders
    tied to them are re-dated (as for a purchase order's new ETA)."""
    transfer = await _transfer(uow, cmd.transfer_id)
    check_version(cmd.expected_version, transfer.version, f"transfer {transfer.id!r}")
    now = deps.clock.now()
    if not inbound.needs_change(cmd.expected_at, transfer.expected_at, now):
        return transfer
    if transfer.status is TransferStatus.RECEIVED:
        raise errors.NothingInTransit(
            f"transfer {transfer.id!r} has nothing left in transit: nothing is expected",
            transfer_status=transfer.status.value,
        )
    open_keys = [LevelKey(x.sku, transfer.destination) for x in transfer.lines if x.in_transit]
    arrival = inbound.Arrival(
        transfer.destination,
        open_keys,
        transfer.expected_at or transfer.created_at,
        transfer.reference,
    )
    await inbound.move_eta(
        uow,
        SupplyKind.TRANSFER,
        transfer.id,
        arrival,
        cmd.expected_at,
        lambda: uow.transfers.set_eta(transfer.id, cmd.expected_at, now),
        ctx,
        now,
    )
    return await _reload(uow, transfer.id)


async def _transfer(uow: UnitOfWork, transfer_id: str) -> Transfer:
    transfer = await uow.transfers.get(transfer_id, lock=True)
    if transfer is None:
        raise errors.NotFound(f"transfer {transfer_id!r} does not exist")
    return transfer


async def _reload(uow: UnitOfWork, transfer_id: str) -> Transfer:
    transfer = await uow.transfers.get(transfer_id)
    assert transfer is not None  # locked by this transaction
    return transfer
