"""Sales channels.

A channel is a place that sells (`stockd.domain.channels`). `channels`
keeps each one's settings; `channel_pools` each SKU's pools (a percentage or
a fixed number of units per channel). The domain's rules are CHECK
constraints here too (the shares' total is checked when pools are set: all
of a SKU's pools are replaced at once, under the SKU's row lock).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        CREATE TABLE channels (
            id text PRIMARY KEY,
            name text NOT NULL,
            kind text NOT NULL CHECK (kind IN ('web', 'marketplace', 'store', 'other')),
            priority integer NOT NULL CHECK (priority >= 1),
            safety_buffer_pct integer NOT NULL DEFAULT 0
                CHECK (safety_buffer_pct BETWEEN 0 AND 50),
            default_share_pct integer CHECK (default_share_pct BETWEEN 0 AND 100),
            waterfall boolean NOT NULL DEFAULT true,
            active boolean NOT NULL DEFAULT true,
            version bigint NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        );
        CREATE TABLE channel_pools (
            sku text NOT NULL REFERENCES skus (sku),
            channel text NOT NULL REFERENCES channels (id),
            share_pct integer CHECK (share_pct BETWEEN 0 AND 100),
            units bigint CHECK (units >= 0),
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (sku, channel),
            CONSTRAINT channel_pools_one_measure CHECK (num_nulls(share_pct, units) = 1)
        );
        CREATE INDEX channel_pools_by_channel ON channel_pools (channel);
        """
    )


def downgrade() -> None:
    run_script("DROP TABLE channel_pools; DROP TABLE channels;")
