"""Transfers carry a version: their ETA can move (`PATCH /v1/transfers/{id}`),
guarded by `If-Match` as a purchase order's is.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE transfers ADD COLUMN version bigint NOT NULL DEFAULT 1")


def downgrade() -> None:
    op.execute("ALTER TABLE transfers DROP COLUMN version")
