"""The ledger head is announced after commit, not by a trigger.

Migration 0004's statement trigger `ledger_events_wake` notified
`stockd_ledger` inside every transaction that appended events. PostgreSQL
serialises the commits of transactions that have notified (one global lock,
held through the commit's flush to disk), so concurrent hold batches could
no longer commit side by side: the flash-sale rate halved. stockd's writers
now notify after their commit, from a connection of their own
(`stockd.adapters.postgres.watch.PostgresLedgerAnnouncer`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        DROP TRIGGER ledger_events_wake ON ledger_events;
        DROP FUNCTION ledger_events_wake();
        """
    )


def downgrade() -> None:
    run_script(
        """
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
