"""Open transfer lines by SKU: available-to-promise reads the transfers in
flight of one SKU on every request.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX transfer_lines_open_by_sku ON transfer_lines (sku, transfer_id)"
        " WHERE received < quantity"
    )


def downgrade() -> None:
    op.execute("DROP INDEX transfer_lines_open_by_sku")
