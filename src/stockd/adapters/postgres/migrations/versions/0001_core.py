"""Core schema: catalog, levels, ledger, reservations, idempotency, API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0001"
down_revision = None
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


def upgrade() -> None:
    run_script(
        """
        CREATE TABLE skus (
            sku text PRIMARY KEY,
            product_id text NOT NULL,
            name text NOT NULL,
            policy text NOT NULL DEFAULT 'deny' CHECK (policy IN ('deny', 'backorder')),
            backorder_cap bigint NOT NULL DEFAULT 0 CHECK (backorder_cap >= 0),
            floor bigint GENERATED ALWAYS AS
                (CASE WHEN policy = 'backorder' THEN -backorder_cap ELSE 0 END) STORED,
            version bigint NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            CONSTRAINT skus_cap_needs_backorder CHECK (policy = 'backorder' OR backorder_cap = 0),
            CONSTRAINT skus_sku_floor UNIQUE (sku, floor)
        );
        CREATE INDEX skus_product ON skus (product_id);

        CREATE TABLE locations (
            id text PRIMARY KEY,
            name text NOT NULL,
            type text NOT NULL CHECK (type IN ('warehouse', 'store', 'supplier')),
            region text,
            lat double precision CHECK (lat BETWEEN -90 AND 90),
            lon double precision CHECK (lon BETWEEN -180 AND 180),
            priority integer NOT NULL DEFAULT 100,
            active boolean NOT NULL DEFAULT true,
            version bigint NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            CONSTRAINT locations_lat_lon_together CHECK ((lat IS NULL) = (lon IS NULL))
        );
        """
    )
    counters = ",\n".join(f"{c} bigint NOT NULL DEFAULT 0" for c in COUNTERS)
    nonnegative = " AND ".join(f"{c} >= 0" for c in COUNTERS)
    run_script(
        f"""
        CREATE TABLE levels (
            sku text NOT NULL,
            location text NOT NULL REFERENCES locations (id),
            {counters},
            floor bigint NOT NULL DEFAULT 0,
            version bigint NOT NULL DEFAULT 1,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (sku, location),
            -- the floor follows the SKU's policy; changing the policy re-checks every level
            FOREIGN KEY (sku, floor) REFERENCES skus (sku, floor) ON UPDATE CASCADE,
            CONSTRAINT levels_counters_nonnegative CHECK ({nonnegative}),
            CONSTRAINT levels_unsellable_within_on_hand
                CHECK (damaged + quality_control <= on_hand),
            CONSTRAINT levels_available_above_floor CHECK (
                on_hand - reserved - committed - damaged - quality_control - safety_stock >= floor
            )
        );
        CREATE INDEX levels_by_location ON levels (location, sku);
        """
    )
    deltas = ",\n".join(f"d_{c} bigint NOT NULL DEFAULT 0" for c in COUNTERS)
    afters = ",\n".join(f"{c} bigint NOT NULL" for c in COUNTERS)
    columns = ", ".join(("id", "type", "sku", "location", *(f"d_{c}" for c in COUNTERS), *COUNTERS))
    run_script(
        f"""
        CREATE TABLE ledger_events (
            id bigserial PRIMARY KEY,
            seq bigint UNIQUE,
            type text NOT NULL,
            sku text NOT NULL,
            location text NOT NULL,
            {deltas},
            {afters},
            reason text,
            reference text,
            reservation_id text,
            actor text NOT NULL,
            idempotency_key text,
            at timestamptz NOT NULL
        );
        CREATE INDEX ledger_events_unsequenced ON ledger_events (id) WHERE seq IS NULL;
        CREATE INDEX ledger_events_by_level ON ledger_events (sku, location, id);
        CREATE INDEX ledger_events_by_reservation ON ledger_events (reservation_id)
            WHERE reservation_id IS NOT NULL;

        -- The ledger is append-only: only the sequencer may fill in seq, once.
        CREATE FUNCTION ledger_events_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'ledger events are immutable (% refused)', TG_OP
                USING ERRCODE = 'restrict_violation';
        END $$;
        CREATE TRIGGER ledger_events_no_delete BEFORE DELETE ON ledger_events
            FOR EACH ROW EXECUTE FUNCTION ledger_events_refuse();
        CREATE TRIGGER ledger_events_no_rewrite BEFORE UPDATE OF {columns} ON ledger_events
            FOR EACH ROW EXECUTE FUNCTION ledger_events_refuse();
        CREATE TRIGGER ledger_events_seq_once BEFORE UPDATE OF seq ON ledger_events
            FOR EACH ROW WHEN (OLD.seq IS NOT NULL) EXECUTE FUNCTION ledger_events_refuse();
        """
    )
    run_script(
        """
        CREATE TABLE reservations (
            id text PRIMARY KEY,
            status text NOT NULL
                CHECK (status IN ('active', 'committed', 'released', 'expired')),
            reference text,
            order_id text,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            closed_at timestamptz
        );
        CREATE INDEX reservations_due ON reservations (expires_at) WHERE status = 'active';

        CREATE TABLE reservation_lines (
            reservation_id text NOT NULL REFERENCES reservations (id),
            sku text NOT NULL,
            location text NOT NULL,
            quantity bigint NOT NULL CHECK (quantity > 0),
            PRIMARY KEY (reservation_id, sku, location)
        );

        CREATE TABLE idempotency_keys (
            scope text NOT NULL,
            key text NOT NULL,
            fingerprint text NOT NULL,
            status integer,
            body bytea,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (scope, key)
        );
        CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

        CREATE TABLE api_keys (
            id text PRIMARY KEY,
            name text NOT NULL,
            digest bytea NOT NULL UNIQUE,
            scopes text[] NOT NULL,
            created_at timestamptz NOT NULL,
            revoked_at timestamptz
        );
        """
    )


def downgrade() -> None:
    run_script(
        """
        DROP TABLE api_keys, idempotency_keys, reservation_lines, reservations,
            ledger_events, levels, locations, skus;
        DROP FUNCTION ledger_events_refuse();
        """
    )
