"""Which held units the caller placed; open transfers by destination.

`reservation_lines.named`: how many of a line's units are at its location
because the caller named it (a line's location, or the pickup store); the
rest stockd placed. Placing an order from a hold never moves the named
units. Active holds from before are taken as wholly named: nothing recorded
says otherwise, and leaving a hold where it is is always safe.

`transfers_open_by_destination`: what open transfers still owe a level is
read whenever its `incoming` is adjusted down (it may not go below that) and
by `stockd ledger verify`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        ALTER TABLE reservation_lines
            ADD COLUMN named bigint NOT NULL DEFAULT 0,
            ADD CONSTRAINT reservation_lines_named_within_quantity
                CHECK (named >= 0 AND named <= quantity);
        UPDATE reservation_lines l SET named = l.quantity
        FROM reservations r WHERE r.id = l.reservation_id AND r.status = 'active';
        CREATE INDEX transfers_open_by_destination ON transfers (destination)
            WHERE status <> 'received';
        """
    )


def downgrade() -> None:
    run_script(
        """
        DROP INDEX transfers_open_by_destination;
        ALTER TABLE reservation_lines DROP COLUMN named;
        """
    )
