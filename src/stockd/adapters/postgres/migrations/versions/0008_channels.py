"""Sales channels.

A channel is a place that sells (`stockd.domain.channels`). The table keeps
each one's settings; the same rules as the domain's are CHECK constraints.

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
        """
    )


def downgrade() -> None:
    run_script("DROP TABLE channels;")
