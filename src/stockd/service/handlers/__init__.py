"""Command handlers: plain functions `(command, uow, context, deps) -> result`.

HANDLERS is the one registry; `bootstrap.py` gives it to the message bus.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from stockd.domain import commands
from stockd.service.context import Context, Deps
from stockd.service.handlers import (
    adjustments,
    capacity,
    catalog,
    channels,
    counts,
    keys,
    orders,
    produce,
    production,
    purchase_orders,
    relisting,
    reports,
    reservations,
    returns,
    sales,
    transfers,
    webhooks,
)
from stockd.service.ports import UnitOfWork

Handler = Callable[[Any, UnitOfWork, Context, Deps], Awaitable[Any]]

HANDLERS: dict[type[commands.Command], Handler] = {
    commands.CreateSku: catalog.create_sku,
    commands.UpdateSku: catalog.update_sku,
    commands.CreateLocation: catalog.create_location,
    commands.UpdateLocation: catalog.update_location,
    commands.ArchiveSku: catalog.archive_sku,
    commands.ArchiveLocation: catalog.archive_location,
    commands.CreateChannel: channels.create_channel,
    commands.UpdateChannel: channels.update_channel,
    commands.SetChannelPools: channels.set_pools,
    commands.RebalanceChannels: channels.rebalance_channels,
    commands.CreateWebhook: webhooks.create_webhook,
    commands.UpdateWebhook: webhooks.update_webhook,
    commands.DeleteWebhook: webhooks.delete_webhook,
    commands.RotateWebhookSecret: webhooks.rotate_secret,
    commands.ReplayWebhook: webhooks.replay,
    commands.Adjust: adjustments.adjust,
    commands.Reserve: reservations.reserve,
    commands.ExtendReservation: reservations.extend,
    commands.ReleaseReservation: reservations.release,
    commands.CommitReservation: reservations.commit,
    commands.ExpireDueReservations: reservations.expire_due,
    commands.PlaceOrder: orders.place_order,
    commands.ShipOrder: orders.ship_order,
    commands.ProduceOrder: produce.produce_order,
    commands.CancelOrder: orders.cancel_order,
    commands.ReturnItems: returns.return_items,
    commands.CreateTransfer: transfers.create_transfer,
    commands.ReceiveTransfer: transfers.receive_transfer,
    commands.ChangeTransferEta: transfers.change_eta,
    commands.CreatePurchaseOrder: purchase_orders.create_purchase_order,
    commands.ReceivePurchaseOrder: purchase_orders.receive_purchase_order,
    commands.CutPurchaseOrder: purchase_orders.cut_purchase_order,
    commands.ChangePurchaseOrderEta: purchase_orders.change_eta,
    commands.RecordSale: sales.record_sale,
    commands.CreateApiKey: keys.create_api_key,
    commands.RevokeApiKey: keys.revoke_api_key,
    commands.RelistChannelSkus: relisting.relist,
    commands.RecordCount: counts.record_count,
    commands.ReportStock: reports.report_stock,
    commands.RegisterSource: reports.register_source,
    commands.SetReportPolicy: reports.set_report_policy,
    commands.CreateCapacityPool: capacity.create_pool,
    commands.SetCapacity: capacity.set_capacity,
    commands.BookSlots: production.book_slots,
    commands.ExtendSlot: production.extend,
    commands.ReleaseSlot: production.release,
    commands.CommitSlot: production.commit,
    commands.ExpireDueSlots: production.expire_due,
}
