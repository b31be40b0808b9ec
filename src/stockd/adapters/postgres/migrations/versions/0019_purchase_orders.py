"""Purchase orders (inbound stock with an ETA); transfers keep their ETA;
backordered units are tied to the inbound that will cover them.

A purchase order line's `open` units (`quantity - received - cut`) are the
`incoming` it still owes its level; the CHECKs keep received and cut units
within what was ordered, so a receipt or cut that would overrun a line
updates nothing.

`supply_ties`: which inbound line (a purchase order's or a transfer's)
stands behind how many backordered units of a hold or an order at one level
(`supply = 'preorder'`: preordered units, counted on their SKU; `'none'`:
units left without inbound after a cut; neither has a date). Each
inbound line counts the units tied to it in `promised`, and its CHECK keeps
that within its open units: an inbound unit is never promised twice, however
many writers race for it. `since` is when the holder first took the units:
the first-come-first-served order ties are re-made in when an ETA slips.
`order_lines.promised_ready_at`: the ready date the line was promised when
the order was placed (the at-risk list compares it with the ties now).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from stockd.adapters.postgres.migrate import run_script

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
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

        ALTER TABLE purchase_order_lines
            ADD COLUMN promised bigint NOT NULL DEFAULT 0 CHECK (promised >= 0),
            ADD CONSTRAINT purchase_order_lines_promised_within_open
                CHECK (promised <= quantity - received - cut);
        ALTER TABLE transfer_lines
            ADD COLUMN promised bigint NOT NULL DEFAULT 0 CHECK (promised >= 0),
            ADD CONSTRAINT transfer_lines_promised_within_in_transit
                CHECK (promised <= quantity - received);
        CREATE TABLE supply_ties (
            id bigserial PRIMARY KEY,
            holder text NOT NULL CHECK (holder IN ('reservation', 'order')),
            holder_id text NOT NULL,
            sku text NOT NULL,
            location text NOT NULL,
            supply text NOT NULL CHECK (supply IN ('po', 'transfer', 'preorder', 'none')),
            supply_id text,
            quantity bigint NOT NULL CHECK (quantity > 0),
            since timestamptz NOT NULL,
            CONSTRAINT supply_ties_named CHECK ((supply = 'none') = (supply_id IS NULL))
        );
        CREATE INDEX supply_ties_by_holder ON supply_ties (holder, holder_id);
        CREATE INDEX supply_ties_by_supply ON supply_ties (supply, supply_id, sku);
        CREATE INDEX supply_ties_by_level ON supply_ties (sku, location);
        ALTER TABLE order_lines ADD COLUMN promised_ready_at timestamptz;

        -- Preorder: a SKU sells beyond stock with no inbound behind the units,
        -- up to `preorder_cap` in total over its levels (`preordered` counts
        -- them; the tie that takes one raises it by a conditional update)
        -- until `preorder_until`. Each level's floor is -preorder_cap.
        ALTER TABLE skus DROP CONSTRAINT skus_policy_check;
        ALTER TABLE skus
            ADD CONSTRAINT skus_policy_check
                CHECK (policy IN ('deny', 'backorder', 'preorder')),
            ADD COLUMN preorder_cap bigint NOT NULL DEFAULT 0 CHECK (preorder_cap >= 0),
            ADD COLUMN preorder_until timestamptz,
            ADD COLUMN preordered bigint NOT NULL DEFAULT 0 CHECK (preordered >= 0),
            ADD CONSTRAINT skus_preorder_needs_preorder
                CHECK (policy = 'preorder' OR (preorder_cap = 0 AND preorder_until IS NULL));
        ALTER TABLE levels DROP CONSTRAINT levels_sku_floor_fkey;
        ALTER TABLE skus DROP CONSTRAINT skus_sku_floor;
        ALTER TABLE skus DROP COLUMN floor;
        ALTER TABLE skus ADD COLUMN floor bigint GENERATED ALWAYS AS (
            CASE policy WHEN 'backorder' THEN -backorder_cap WHEN 'preorder' THEN -preorder_cap
                        ELSE 0 END
        ) STORED;
        ALTER TABLE skus ADD CONSTRAINT skus_sku_floor UNIQUE (sku, floor);
        ALTER TABLE levels ADD CONSTRAINT levels_sku_floor_fkey
            FOREIGN KEY (sku, floor) REFERENCES skus (sku, floor) ON UPDATE CASCADE;
        """
    )


def downgrade() -> None:
    run_script(
        """
        DELETE FROM supply_ties WHERE supply = 'preorder';
        UPDATE skus SET policy = 'deny', preorder_cap = 0, preorder_until = NULL
            WHERE policy = 'preorder';
        ALTER TABLE levels DROP CONSTRAINT levels_sku_floor_fkey;
        ALTER TABLE skus DROP CONSTRAINT skus_sku_floor;
        ALTER TABLE skus DROP COLUMN floor;
        ALTER TABLE skus DROP CONSTRAINT skus_preorder_needs_preorder;
        ALTER TABLE skus DROP COLUMN preorder_cap, DROP COLUMN preorder_until,
            DROP COLUMN preordered;
        ALTER TABLE skus DROP CONSTRAINT skus_policy_check;
        ALTER TABLE skus ADD CONSTRAINT skus_policy_check CHECK (policy IN ('deny', 'backorder'));
        ALTER TABLE skus ADD COLUMN floor bigint GENERATED ALWAYS AS
            (CASE WHEN policy = 'backorder' THEN -backorder_cap ELSE 0 END) STORED;
        ALTER TABLE skus ADD CONSTRAINT skus_sku_floor UNIQUE (sku, floor);
        ALTER TABLE levels ADD CONSTRAINT levels_sku_floor_fkey
            FOREIGN KEY (sku, floor) REFERENCES skus (sku, floor) ON UPDATE CASCADE;
        ALTER TABLE order_lines DROP COLUMN promised_ready_at;
        DROP TABLE supply_ties;
        ALTER TABLE transfer_lines DROP COLUMN promised;
        ALTER TABLE transfers DROP COLUMN expected_at;
        DROP TABLE purchase_order_lines;
        DROP TABLE purchase_orders;
        """
    )
