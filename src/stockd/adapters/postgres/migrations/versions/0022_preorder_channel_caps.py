"""Preorder caps per channel: a preorder SKU's allowance may be capped per
sales channel as well as in total.

`sku_preorder_channels`: one row per SKU and capped channel, its `cap` and
the units preordered through the channel (`preordered`). A tie that
preorders units through a capped channel raises the channel's counter by a
conditional update in the same statement as the SKU's total, and gives
them back when it is untied: the tie remembers its channel
(`supply_ties.channel`, set on preorder ties). A channel with no row is
limited by the total only.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from stockd.adapters.postgres.migrate import run_script

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        CREATE TABLE sku_preorder_channels (
            sku text NOT NULL REFERENCES skus (sku),
            channel text NOT NULL REFERENCES channels (id),
            cap bigint NOT NULL CHECK (cap >= 0),
            preordered bigint NOT NULL DEFAULT 0 CHECK (preordered >= 0),
            PRIMARY KEY (sku, channel)
        );
        ALTER TABLE supply_ties ADD COLUMN channel text;
        CREATE INDEX supply_ties_preorders_by_channel ON supply_ties (sku, channel)
            WHERE supply = 'preorder';
        """
    )


def downgrade() -> None:
    run_script(
        """
        DROP INDEX supply_ties_preorders_by_channel;
        ALTER TABLE supply_ties DROP COLUMN channel;
        DROP TABLE sku_preorder_channels;
        """
    )
