"""`stockd_refuse`: abort a statement from inside it.

The one-statement write of a reservation batch (adapters/postgres/holds.py)
applies its deltas with a conditional UPDATE; when a level no longer takes
them, the statement must change nothing at all, so it calls this to fail.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        CREATE FUNCTION stockd_refuse(reason text) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '%', reason USING ERRCODE = 'SD409';
        END $$;
        """
    )


def downgrade() -> None:
    run_script("DROP FUNCTION stockd_refuse(text);")
