"""Each location works by the calendar of an IANA time zone.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE locations ADD COLUMN timezone text NOT NULL DEFAULT 'UTC'")


def downgrade() -> None:
    op.execute("ALTER TABLE locations DROP COLUMN timezone")
