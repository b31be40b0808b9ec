"""Lists of orders, reservations, transfers, sales and returns; archiving.

SKUs and locations get `archived` (false for every existing one): an
archived row stays, with its levels and history, and is listed only when
asked for — from a partial index, as archived rows are the few.

Every list runs newest first, by (created_at, id) descending, and pages by
that pair; each gets an index in that order, and one more per selective
filter, led by the filter's column, so a filtered page is read from the
index rather than sorted. Line-level filters (a SKU, a location) find their
parents through an index on the lines, led by the filter.

Statuses are indexed where the status one asks for is the rare one as time
goes by (open orders, transfers in transit); active reservations already
have `reservations_due`. Left without an index, on purpose: a reservation
line's location (few values, so the time index finds a page quickly; and
reservation lines are the hottest insert, where every index costs every
hold).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        ALTER TABLE skus ADD COLUMN archived boolean NOT NULL DEFAULT false;
        ALTER TABLE locations ADD COLUMN archived boolean NOT NULL DEFAULT false;
        CREATE INDEX skus_archived ON skus (sku) WHERE archived;
        CREATE INDEX locations_archived ON locations (id) WHERE archived;

        CREATE INDEX orders_newest ON orders (created_at, id);
        CREATE INDEX orders_by_status ON orders (status, created_at, id);
        CREATE INDEX order_lines_by_sku ON order_lines (sku, order_id);
        CREATE INDEX order_lines_by_location ON order_lines (location, order_id);

        CREATE INDEX reservations_newest ON reservations (created_at, id);
        CREATE INDEX reservations_by_reference ON reservations (reference, created_at, id)
            WHERE reference IS NOT NULL;
        CREATE INDEX reservation_lines_by_sku ON reservation_lines (sku, reservation_id);

        CREATE INDEX transfers_newest ON transfers (created_at, id);
        CREATE INDEX transfers_by_status ON transfers (status, created_at, id);
        CREATE INDEX transfers_by_source ON transfers (source, created_at, id);
        CREATE INDEX transfers_by_destination ON transfers (destination, created_at, id);
        CREATE INDEX transfer_lines_by_sku ON transfer_lines (sku, transfer_id);

        CREATE INDEX sales_newest ON sales (created_at, location, external_id);
        CREATE INDEX sales_by_location ON sales (location, created_at, external_id);
        CREATE INDEX sales_by_sku ON sales USING gin (skus);

        CREATE INDEX order_returns_newest ON order_returns (created_at, id);
        CREATE INDEX order_returns_by_order ON order_returns (order_id, created_at, id);
        CREATE INDEX order_returns_by_location ON order_returns (location, created_at, id);
        """
    )


def downgrade() -> None:
    run_script(
        """
        DROP INDEX orders_newest, orders_by_status, order_lines_by_sku, order_lines_by_location,
            reservations_newest, reservations_by_reference, reservation_lines_by_sku,
            transfers_newest, transfers_by_status, transfers_by_source, transfers_by_destination,
            transfer_lines_by_sku, sales_newest, sales_by_location, sales_by_sku,
            order_returns_newest, order_returns_by_order, order_returns_by_location,
            skus_archived, locations_archived;
        ALTER TABLE skus DROP COLUMN archived;
        ALTER TABLE locations DROP COLUMN archived;
        """
    )
