"""The reconciler's channel-drift check: what each channel was last sent of
a SKU against what stockd computes now (`stockd.service.channel_drift`),
for the SKUs of each chunk.

Unlike the other checks it does not compare in SQL: it asks the drift
service about the chunk's SKUs (the figure "now" comes from the one formula
of a channel's figures, `service.pools.channel_figures`). Its repair
relists the drifted channel and SKU (`channel.relisted`): the channel's
webhooks deliver the current figure on their next round and its feed names
the SKU on its next page. A SKU drifted at several receivers of a channel
(two webhooks, a webhook and the feed) is relisted once per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stockd.adapters.postgres.comparisons import Scope
from stockd.adapters.postgres.reconcile.checks import Check, Connection, skus_in
from stockd.adapters.postgres.reconcile.repairs import ALREADY, Unrepaired
from stockd.adapters.postgres.uow import PostgresUnitOfWorkFactory
from stockd.domain.reconciliation import MAX_SEQS, Finding, RunRef
from stockd.service.channel_drift import ChannelDrift, ChannelDrifts

NAME = "channel_drift"


def finding(drift: ChannelDrift) -> Finding:
    receiver = "the feed" if drift.via == "feed" else f"webhook {drift.endpoint}"
    return Finding(
        check=NAME,
        sku=drift.sku,
        location=None,
        channel=drift.channel,
        subject=f"{drift.sku} through {drift.channel} ({receiver})",
        expected={"advertised": drift.now},
        actual={"advertised": drift.sent},
        detail=drift.detail,
        seqs=drift.seqs[:MAX_SEQS],
    )


def drift_check(drifts: ChannelDrifts) -> Check:
    """The check over `drifts`, to add to the reconciler's checks."""
    relisted: dict[str, set[tuple[str, str]]] = {}
    """The (channel, SKU) pairs the current run relisted: one relisting per run."""

    async def find(conn: Connection, scope: Scope, args: Sequence[Any]) -> list[Finding]:
        skus = await skus_in(conn, scope, args)
        if not skus:
            return []
        return [finding(d) async for d in drifts.find_drift(skus=skus)]

    async def repair(_: PostgresUnitOfWorkFactory, found: Finding, run: RunRef) -> str:
        assert found.channel is not None
        done = relisted.setdefault(run.id, set())
        if len(relisted) > 1:  # a new run: forget the previous one's
            for old in [r for r in relisted if r != run.id]:
                del relisted[old]
        key = (found.channel, found.sku)
        if key in done:
            return "relisted with an earlier finding of this run"
        still = [d async for d in drifts.find_drift(channel=found.channel, skus=[found.sku])]
        if not still:
            return ALREADY
        if not await drifts.repush(still, actor=run.actor):
            raise Unrepaired("nothing to relist")
        done.add(key)
        return (
            f"relisted: {found.channel}'s webhooks resend {found.sku}'s figure now"
            f" ({still[0].now}) and its feed lists it on the next page"
        )

    return Check(NAME, find, repair)
