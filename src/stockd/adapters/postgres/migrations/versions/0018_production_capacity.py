"""Production capacity: pools, weekly capacity, slot bookings, made-to-order SKUs.

`capacity_weeks` has one row per pool and ISO week whose capacity was set:
`units`, and what slot bookings hold (`held`) and orders took (`committed`).
`CHECK (held + committed <= units)` is what keeps a week from being
over-booked, whatever races: bookings take a week by a conditional UPDATE.

`production_lines` are the units of a SKU booked in a week: a slot booking's
lines (`slot_id`), an order's (`order_id`), or both once a booking is
committed to an order. The order's row is written after its lines are
booked, in the same transaction: that key is checked at commit.

Revision ID: 0018
Revises: 0017
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        CREATE TABLE capacity_pools (
            id text PRIMARY KEY,
            location text NOT NULL REFERENCES locations (id),
            name text NOT NULL,
            lead_time_weeks integer NOT NULL CHECK (lead_time_weeks >= 0),
            version bigint NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        );

        CREATE TABLE capacity_weeks (
            pool text NOT NULL REFERENCES capacity_pools (id),
            week text NOT NULL CHECK (week ~ '^[0-9]{4}-W[0-9]{2}$'),
            units bigint NOT NULL CHECK (units >= 0),
            held bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
            committed bigint NOT NULL DEFAULT 0 CHECK (committed >= 0),
            PRIMARY KEY (pool, week),
            CONSTRAINT capacity_weeks_not_overbooked CHECK (held + committed <= units)
        );

        ALTER TABLE skus
            ADD COLUMN inventory_type text NOT NULL DEFAULT 'physical'
                CHECK (inventory_type IN ('physical', 'made_to_order')),
            ADD COLUMN capacity_pool text REFERENCES capacity_pools (id),
            ADD COLUMN option_pools jsonb NOT NULL DEFAULT '[]',
            ADD CONSTRAINT skus_pool_iff_made_to_order
                CHECK ((inventory_type = 'made_to_order') = (capacity_pool IS NOT NULL));

        CREATE TABLE production_slots (
            id text PRIMARY KEY,
            status text NOT NULL
                CHECK (status IN ('active', 'committed', 'released', 'expired')),
            reference text,
            order_id text,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            closed_at timestamptz
        );
        CREATE INDEX production_slots_due ON production_slots (expires_at, id)
            WHERE status = 'active';

        CREATE TABLE production_lines (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            slot_id text REFERENCES production_slots (id),
            order_id text REFERENCES orders (id) DEFERRABLE INITIALLY DEFERRED,
            line_no integer NOT NULL,
            sku text NOT NULL REFERENCES skus (sku),
            quantity bigint NOT NULL CHECK (quantity > 0),
            pool text NOT NULL,
            week text NOT NULL,
            options jsonb NOT NULL DEFAULT '{}',
            cancelled boolean NOT NULL DEFAULT false,
            FOREIGN KEY (pool, week) REFERENCES capacity_weeks (pool, week),
            CHECK (num_nulls(slot_id, order_id) < 2)
        );
        CREATE INDEX production_lines_by_slot ON production_lines (slot_id, line_no)
            WHERE slot_id IS NOT NULL;
        CREATE INDEX production_lines_by_order ON production_lines (order_id, line_no)
            WHERE order_id IS NOT NULL;
        """
    )


def downgrade() -> None:
    run_script(
        """
        DROP TABLE production_lines, production_slots;
        ALTER TABLE skus DROP COLUMN option_pools, DROP COLUMN capacity_pool,
            DROP COLUMN inventory_type;
        DROP TABLE capacity_weeks, capacity_pools;
        """
    )
