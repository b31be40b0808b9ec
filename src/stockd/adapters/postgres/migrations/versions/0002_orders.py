"""Orders, shipments, returns, transfers, store sales; location capabilities.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COUNTERS = (
    "on_hand",
    "reserved",
    "committed",
    "damaged",
    "quality_control",
    "safety_stock",
    "incoming",
)
LEDGER_COLUMNS = (
    "id",
    "type",
    "sku",
    "location",
    *(f"d_{c}" for c in COUNTERS),
    *COUNTERS,
    "reason",
    "reference",
    "reservation_id",
    "actor",
    "idempotency_key",
    "at",
)


def upgrade() -> None:
    run_script(
        """
        ALTER TABLE locations
            ADD COLUMN ships boolean NOT NULL DEFAULT true,
            ADD COLUMN pickup boolean NOT NULL DEFAULT false,
            ADD COLUMN shipping_fixed_cost double precision NOT NULL DEFAULT 0
                CHECK (shipping_fixed_cost >= 0),
            ADD COLUMN shipping_cost_per_km_unit double precision NOT NULL DEFAULT 0
                CHECK (shipping_cost_per_km_unit >= 0);

        ALTER TABLE reservations ADD COLUMN pickup_location text REFERENCES locations (id);

        CREATE TABLE orders (
            id text PRIMARY KEY,
            status text NOT NULL
                CHECK (status IN ('open', 'partially_shipped', 'shipped', 'cancelled')),
            fingerprint text NOT NULL,
            reservation_id text REFERENCES reservations (id),
            strategy text,
            ship_to_lat double precision,
            ship_to_lon double precision,
            ship_to_region text,
            pickup_location text REFERENCES locations (id),
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            CONSTRAINT orders_ship_to_together
                CHECK ((ship_to_lat IS NULL) = (ship_to_lon IS NULL))
        );
        CREATE UNIQUE INDEX orders_by_reservation ON orders (reservation_id)
            WHERE reservation_id IS NOT NULL;

        -- One row per SKU and location an order is fulfilled from. Every unit
        -- ordered is exactly one of: still committed, shipped or cancelled.
        CREATE TABLE order_lines (
            order_id text NOT NULL REFERENCES orders (id),
            sku text NOT NULL,
            location text NOT NULL,
            ordered bigint NOT NULL CHECK (ordered > 0),
            committed bigint NOT NULL CHECK (committed >= 0),
            shipped bigint NOT NULL DEFAULT 0 CHECK (shipped >= 0),
            cancelled bigint NOT NULL DEFAULT 0 CHECK (cancelled >= 0),
            returned bigint NOT NULL DEFAULT 0 CHECK (returned >= 0),
            PRIMARY KEY (order_id, sku, location),
            CONSTRAINT order_lines_units_conserved
                CHECK (committed + shipped + cancelled = ordered),
            CONSTRAINT order_lines_returned_within_shipped CHECK (returned <= shipped)
        );

        CREATE TABLE order_returns (
            id text PRIMARY KEY,
            order_id text NOT NULL REFERENCES orders (id),
            location text NOT NULL REFERENCES locations (id),
            condition text NOT NULL
                CHECK (condition IN ('resellable', 'damaged', 'quality_control')),
            created_at timestamptz NOT NULL
        );
        CREATE TABLE order_return_lines (
            return_id text NOT NULL REFERENCES order_returns (id),
            sku text NOT NULL,
            quantity bigint NOT NULL CHECK (quantity > 0),
            PRIMARY KEY (return_id, sku)
        );

        CREATE TABLE transfers (
            id text PRIMARY KEY,
            source text NOT NULL REFERENCES locations (id),
            destination text NOT NULL REFERENCES locations (id),
            status text NOT NULL CHECK (status IN ('in_transit', 'partially_received', 'received')),
            reference text,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            CONSTRAINT transfers_between_two_places CHECK (source <> destination)
        );
        CREATE TABLE transfer_lines (
            transfer_id text NOT NULL REFERENCES transfers (id),
            sku text NOT NULL,
            quantity bigint NOT NULL CHECK (quantity > 0),
            received bigint NOT NULL DEFAULT 0 CHECK (received >= 0),
            PRIMARY KEY (transfer_id, sku),
            CONSTRAINT transfer_lines_received_within_sent CHECK (received <= quantity)
        );

        -- Point-of-sale receipts, kept for good: a retried sale never counts twice.
        CREATE TABLE sales (
            location text NOT NULL REFERENCES locations (id),
            external_id text NOT NULL,
            fingerprint text NOT NULL,
            skus text[] NOT NULL,
            quantities bigint[] NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (location, external_id)
        );

        ALTER TABLE ledger_events
            ADD COLUMN order_id text,
            ADD COLUMN transfer_id text;
        CREATE INDEX ledger_events_by_order ON ledger_events (order_id, id)
            WHERE order_id IS NOT NULL;
        CREATE INDEX ledger_events_by_transfer ON ledger_events (transfer_id, id)
            WHERE transfer_id IS NOT NULL;
        """
    )
    # The immutability trigger must cover the new columns too.
    columns = ", ".join((*LEDGER_COLUMNS, "order_id", "transfer_id"))
    run_script(
        f"""
        DROP TRIGGER ledger_events_no_rewrite ON ledger_events;
        CREATE TRIGGER ledger_events_no_rewrite BEFORE UPDATE OF {columns} ON ledger_events
            FOR EACH ROW EXECUTE FUNCTION ledger_events_refuse();
        """
    )


def downgrade() -> None:
    columns = ", ".join(LEDGER_COLUMNS)
    run_script(
        f"""
        DROP TRIGGER ledger_events_no_rewrite ON ledger_events;
        CREATE TRIGGER ledger_events_no_rewrite BEFORE UPDATE OF {columns} ON ledger_events
            FOR EACH ROW EXECUTE FUNCTION ledger_events_refuse();
        ALTER TABLE ledger_events DROP COLUMN order_id, DROP COLUMN transfer_id;
        DROP TABLE sales, transfer_lines, transfers, order_return_lines, order_returns,
            order_lines, orders;
        ALTER TABLE reservations DROP COLUMN pickup_location;
        ALTER TABLE locations DROP COLUMN ships, DROP COLUMN pickup,
            DROP COLUMN shipping_fixed_cost, DROP COLUMN shipping_cost_per_km_unit;
        """
    )
