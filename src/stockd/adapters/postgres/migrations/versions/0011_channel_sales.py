"""Channel sales by SKU and time: what the rebalancer reads for velocity.

Only events that name a channel are indexed (holds and orders through no
channel, the flash sale's, add nothing to write).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        CREATE INDEX ledger_events_channel_sales ON ledger_events (sku, channel, at)
            WHERE channel IS NOT NULL;
        """
    )


def downgrade() -> None:
    run_script("DROP INDEX ledger_events_channel_sales;")
