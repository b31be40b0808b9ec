"""Reconciliation runs and their findings.

`reconciliations` holds one row per run of the reconciler (`stockd
reconcile`, `POST /v1/reconciliations`, the scheduled worker): when it
started and finished, whether it repaired, how many levels it checked, how
many differences it found and repaired, and the discrepancy rate
(differences ÷ levels checked) that monitoring reads from the latest
finished run. `reconciliation_findings` holds each difference, streamed in
while the run walks the levels, so a run over millions of levels never keeps
its findings in memory.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        CREATE TABLE reconciliations (
            id text PRIMARY KEY,
            started_at timestamptz NOT NULL,
            finished_at timestamptz,
            apply boolean NOT NULL,
            skus text[],
            actor text NOT NULL,
            levels_checked bigint NOT NULL DEFAULT 0 CHECK (levels_checked >= 0),
            differences bigint NOT NULL DEFAULT 0 CHECK (differences >= 0),
            repaired bigint NOT NULL DEFAULT 0 CHECK (repaired >= 0),
            discrepancy_rate numeric NOT NULL DEFAULT 0 CHECK (discrepancy_rate >= 0),
            idempotency_scope text,
            idempotency_key text,
            fingerprint text,
            CONSTRAINT reconciliations_repaired_within_found CHECK (repaired <= differences)
        );
        CREATE INDEX reconciliations_finished ON reconciliations (finished_at DESC)
            WHERE finished_at IS NOT NULL;
        CREATE UNIQUE INDEX reconciliations_by_idempotency_key
            ON reconciliations (idempotency_scope, idempotency_key)
            WHERE idempotency_key IS NOT NULL;

        CREATE TABLE reconciliation_findings (
            reconciliation_id text NOT NULL REFERENCES reconciliations (id) ON DELETE CASCADE,
            n integer NOT NULL,
            "check" text NOT NULL,
            sku text NOT NULL,
            location text,
            channel text,
            subject text NOT NULL,
            expected jsonb NOT NULL,
            actual jsonb NOT NULL,
            detail text NOT NULL,
            seqs bigint[] NOT NULL,
            repaired boolean NOT NULL,
            repair_note text,
            PRIMARY KEY (reconciliation_id, n)
        );
        """
    )


def downgrade() -> None:
    run_script("DROP TABLE reconciliation_findings; DROP TABLE reconciliations;")
