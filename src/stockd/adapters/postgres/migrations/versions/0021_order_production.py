"""Made-to-order lines are made, and orders keep their promised dates.

`production_lines.produced`: units of the line the workshop reported made
(`POST /v1/orders/{id}/produce`); they became committed stock of the order
at the workshop. The CHECK keeps it within the line whatever races: a
report that would overrun the line updates nothing.
`production_lines.promised_ready_at`: the ready date of the line's week
when it was booked, kept as promised (a workshop's zone may change later).
`orders.deliver_by`: the date the shop promised its customer, if given.
`production_lines_unmade`: the lines with units still to make, which the
at-risk list reads on every request (most lines are long made).

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from stockd.adapters.postgres.migrate import run_script

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        ALTER TABLE production_lines
            ADD COLUMN produced bigint NOT NULL DEFAULT 0,
            ADD COLUMN promised_ready_at timestamptz,
            ADD CONSTRAINT production_lines_produced_within
                CHECK (produced >= 0 AND produced <= quantity);
        CREATE INDEX production_lines_unmade ON production_lines (order_id)
            WHERE order_id IS NOT NULL AND NOT cancelled AND produced < quantity;
        ALTER TABLE orders ADD COLUMN deliver_by date;
        """
    )


def downgrade() -> None:
    run_script(
        """
        ALTER TABLE orders DROP COLUMN deliver_by;
        DROP INDEX production_lines_unmade;
        ALTER TABLE production_lines DROP CONSTRAINT production_lines_produced_within,
            DROP COLUMN promised_ready_at, DROP COLUMN produced;
        """
    )
