"""The relay's cursor: the last seq it had acknowledged.

The relay resumes from the stream it publishes to; this is where it resumes
when the stream holds nothing (new, purged, or every message aged out).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        CREATE TABLE relay_cursors (
            name text PRIMARY KEY,
            seq bigint NOT NULL,
            updated_at timestamptz NOT NULL
        );
        """
    )


def downgrade() -> None:
    run_script("DROP TABLE relay_cursors;")
