"""Channel sales by SKU and time, indexed for sales only.

0011 indexed every event that names a channel, so each hold through a
channel (the busiest write there is) also wrote an index entry the
rebalancer never reads: about a tenth of a batch of channel holds
(docs/benchmarks.md). Only the events it counts as sold are indexed now.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        DROP INDEX ledger_events_channel_sales;
        CREATE INDEX ledger_events_channel_sales ON ledger_events (sku, channel, at)
            WHERE channel IS NOT NULL AND channel <> '*'
              AND type IN ('reservation.committed', 'order.allocated', 'sale.recorded');
        """
    )


def downgrade() -> None:
    run_script(
        """
        DROP INDEX ledger_events_channel_sales;
        CREATE INDEX ledger_events_channel_sales ON ledger_events (sku, channel, at)
            WHERE channel IS NOT NULL;
        """
    )
