"""One event stream: every change in the ledger, a wake-up after commit.

The ledger held only level movements; now it holds every event (catalogue,
orders, transfers, API keys): such a row has no delta or quantities (all
NULL), may name no SKU or location, and keeps the fields its type adds in
`data` (jsonb). Movement rows stay as they were.

The per-reference indexes are keyed by `seq`, so a consumer filtering the
stream (`GET /v1/events?sku=…`) reads it in commit order from the index.

After every statement that appends events, `pg_notify('stockd_ledger', head)`
tells listeners in other processes that the head moved; NOTIFY is delivered
at commit, so nobody hears of an event that is not committed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0004"
down_revision = "0003"
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
QUANTITIES = (*(f"d_{c}" for c in COUNTERS), *COUNTERS)
COLUMNS = (
    "id",
    "type",
    "sku",
    "location",
    *QUANTITIES,
    "reason",
    "reference",
    "reservation_id",
    "actor",
    "idempotency_key",
    "at",
    "order_id",
    "transfer_id",
)


def upgrade() -> None:
    nullable = ",\n".join(
        [
            "ALTER COLUMN sku DROP NOT NULL",
            "ALTER COLUMN location DROP NOT NULL",
            *(f"ALTER COLUMN {c} DROP NOT NULL" for c in QUANTITIES),
            *(f"ALTER COLUMN d_{c} DROP DEFAULT" for c in COUNTERS),
        ]
    )
    quantities = ", ".join(QUANTITIES)
    run_script(
        f"""
        ALTER TABLE ledger_events
            {nullable},
            ADD COLUMN data jsonb,
            ADD CONSTRAINT ledger_events_movement_whole CHECK (
                num_nulls({quantities}) IN (0, {len(QUANTITIES)})
                AND (on_hand IS NULL OR num_nulls(sku, location) = 0)
            );

        DROP TRIGGER ledger_events_no_rewrite ON ledger_events;
        CREATE TRIGGER ledger_events_no_rewrite
            BEFORE UPDATE OF {", ".join((*COLUMNS, "data"))} ON ledger_events
            FOR EACH ROW EXECUTE FUNCTION ledger_events_refuse();

        DROP INDEX ledger_events_by_level;
        DROP INDEX ledger_events_by_reservation;
        DROP INDEX ledger_events_by_order;
        DROP INDEX ledger_events_by_transfer;
        CREATE INDEX ledger_events_by_sku ON ledger_events (sku, seq) WHERE sku IS NOT NULL;
        CREATE INDEX ledger_events_by_reservation ON ledger_events (reservation_id, seq)
            WHERE reservation_id IS NOT NULL;
        CREATE INDEX ledger_events_by_order ON ledger_events (order_id, seq)
            WHERE order_id IS NOT NULL;
        CREATE INDEX ledger_events_by_transfer ON ledger_events (transfer_id, seq)
            WHERE transfer_id IS NOT NULL;

        CREATE FUNCTION ledger_events_wake() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('stockd_ledger', (SELECT max(seq) FROM appended)::text);
            RETURN NULL;
        END $$;
        CREATE TRIGGER ledger_events_wake AFTER INSERT ON ledger_events
            REFERENCING NEW TABLE AS appended
            FOR EACH STATEMENT EXECUTE FUNCTION ledger_events_wake();
        """
    )


def downgrade() -> None:
    restore = ",\n".join(
        [
            "ALTER COLUMN sku SET NOT NULL",
            "ALTER COLUMN location SET NOT NULL",
            *(f"ALTER COLUMN {c} SET NOT NULL" for c in QUANTITIES),
            *(f"ALTER COLUMN d_{c} SET DEFAULT 0" for c in COUNTERS),
        ]
    )
    run_script(
        f"""
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM ledger_events WHERE on_hand IS NULL) THEN
                RAISE EXCEPTION 'the ledger holds events revision 0003 cannot store';
            END IF;
        END $$;
        DROP TRIGGER ledger_events_wake ON ledger_events;
        DROP FUNCTION ledger_events_wake();
        DROP INDEX ledger_events_by_sku, ledger_events_by_reservation,
            ledger_events_by_order, ledger_events_by_transfer;
        CREATE INDEX ledger_events_by_level ON ledger_events (sku, location, id);
        CREATE INDEX ledger_events_by_reservation ON ledger_events (reservation_id)
            WHERE reservation_id IS NOT NULL;
        CREATE INDEX ledger_events_by_order ON ledger_events (order_id, id)
            WHERE order_id IS NOT NULL;
        CREATE INDEX ledger_events_by_transfer ON ledger_events (transfer_id, id)
            WHERE transfer_id IS NOT NULL;
        DROP TRIGGER ledger_events_no_rewrite ON ledger_events;
        CREATE TRIGGER ledger_events_no_rewrite BEFORE UPDATE OF {", ".join(COLUMNS)}
            ON ledger_events FOR EACH ROW EXECUTE FUNCTION ledger_events_refuse();
        ALTER TABLE ledger_events
            DROP CONSTRAINT ledger_events_movement_whole,
            DROP COLUMN data,
            {restore};
        """
    )
