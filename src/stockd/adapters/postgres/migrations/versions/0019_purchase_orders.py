"""Purchase orders (inbound stock with an ETA); transfers keep their ETA.

A purchase order line's `open` units (`quantity - received - cut`) are the
`incoming` it still owes its level; the CHECKs keep received and cut units
within what was ordered, so a receipt or cut that would overrun a line
updates nothing.

Revision ID: 0019
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE purchase_orders (
            id text PRIMARY KEY,
            supplier text NOT NULL,
            location text NOT NULL REFERENCES locations (id),
            status text NOT NULL
                CHECK (status IN ('open', 'partially_received', 'received', 'cancelled')),
            expected_at timestamptz NOT NULL,
            reference text,
            version bigint NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        );
        CREATE INDEX purchase_orders_newest ON purchase_orders (created_at, id);
        CREATE INDEX purchase_orders_by_status ON purchase_orders (status, created_at, id);
        CREATE INDEX purchase_orders_by_location ON purchase_orders (location, created_at, id);
        CREATE TABLE purchase_order_lines (
            purchase_order_id text NOT NULL REFERENCES purchase_orders (id),
            sku text NOT NULL REFERENCES skus (sku),
            quantity bigint NOT NULL CHECK (quantity > 0),
            received bigint NOT NULL DEFAULT 0 CHECK (received >= 0),
            cut bigint NOT NULL DEFAULT 0 CHECK (cut >= 0),
            PRIMARY KEY (purchase_order_id, sku),
            CONSTRAINT purchase_order_lines_within_ordered CHECK (received + cut <= quantity)
        );
        CREATE INDEX purchase_order_lines_by_sku ON purchase_order_lines (sku);

        ALTER TABLE transfers ADD COLUMN expected_at timestamptz;
        UPDATE transfers SET expected_at = created_at;
        ALTER TABLE transfers ALTER COLUMN expected_at SET NOT NULL;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE transfers DROP COLUMN expected_at;
        DROP TABLE purchase_order_lines;
        DROP TABLE purchase_orders;
        """
    )
