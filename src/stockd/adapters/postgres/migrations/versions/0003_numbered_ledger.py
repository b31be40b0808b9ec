"""Ledger events numbered as they are written; `stockd_refuse`.

Events were numbered after the fact by a sequencer that updated every row
(a second write of each event, and of each of its index entries: measured as
the largest cost after group commit). Now a trigger numbers each event as it
is inserted, under a transaction-level advisory lock that is held to commit:
seq order stays commit order, so a reader paging by seq never skips an event
that commits late. Writers insert their events last in a transaction
(`PostgresUnitOfWork.commit`), so the lock is held only from then to commit.
Events written before are numbered here, so every event has a seq from now
on (NOT NULL) and the sequencer is gone.

`stockd_refuse` aborts a statement from inside it: the one-statement write of
a reservation batch (adapters/postgres/hold_batch.py) calls it when a level no
longer takes its delta, so that the statement changes nothing at all.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from stockd.adapters.postgres.migrate import run_script

SEQUENCER_LOCK = 0x5709_C0DE  # the lock the sequencer of 0001 took

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        f"""
        SELECT pg_advisory_xact_lock({SEQUENCER_LOCK});
        UPDATE ledger_events e SET seq = n.seq
        FROM (SELECT id, (SELECT coalesce(max(seq), 0) FROM ledger_events)
                         + row_number() OVER (ORDER BY id) AS seq
              FROM ledger_events WHERE seq IS NULL) n
        WHERE e.id = n.id;
        CREATE SEQUENCE ledger_seq AS bigint OWNED BY ledger_events.seq;
        SELECT setval('ledger_seq', coalesce(max(seq), 0) + 1, false) FROM ledger_events;
        CREATE FUNCTION ledger_events_number() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.seq IS NULL THEN
                PERFORM pg_advisory_xact_lock({SEQUENCER_LOCK});
                NEW.seq := nextval('ledger_seq');
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER ledger_events_number BEFORE INSERT ON ledger_events
            FOR EACH ROW EXECUTE FUNCTION ledger_events_number();
        ALTER TABLE ledger_events ALTER COLUMN seq SET NOT NULL;
        DROP INDEX ledger_events_unsequenced;

        CREATE FUNCTION stockd_refuse(reason text) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '%', reason USING ERRCODE = 'SD409';
        END $$;
        """
    )


def downgrade() -> None:
    run_script(
        """
        DROP FUNCTION stockd_refuse(text);
        CREATE INDEX ledger_events_unsequenced ON ledger_events (id) WHERE seq IS NULL;
        ALTER TABLE ledger_events ALTER COLUMN seq DROP NOT NULL;
        DROP TRIGGER ledger_events_number ON ledger_events;
        DROP FUNCTION ledger_events_number();
        DROP SEQUENCE ledger_seq;
        """
    )
