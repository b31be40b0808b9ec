"""Selling through channels: what each channel has outstanding.

A hold or an order may name the channel it sells through (`reservations.
channel`, `orders.channel`); every ledger event about it carries the channel
(`ledger_events.channel`). `channel_stock` keeps, per SKU and channel, the
units outstanding (held + committed): changed by the ledger writer in the
same transaction as the events, by the events' own deltas (`d_reserved +
d_committed`), so `stockd ledger verify` can replay it from the ledger. `*`
(an admin's hold that bypassed the pools) has no counter.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from stockd.adapters.postgres.migrate import run_script

# The columns 0004 made immutable, and the new one.
_0004 = (
    "id, type, sku, location, d_on_hand, d_reserved, d_committed, d_damaged,"
    " d_quality_control, d_safety_stock, d_incoming, on_hand, reserved, committed, damaged,"
    " quality_control, safety_stock, incoming, reason, reference, reservation_id, actor,"
    " idempotency_key, at, order_id, transfer_id, data"
)


POOLED = """
CREATE FUNCTION stockd_pooled(skus text[]) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM channels WHERE active) THEN
        RETURN false;  -- no channel, no pool
    END IF;
    RETURN EXISTS (
        SELECT 1 FROM unnest(skus) AS s (sku)
        WHERE EXISTS (SELECT 1 FROM channel_pools p JOIN channels c ON c.id = p.channel
                      WHERE p.sku = s.sku AND c.active AND (p.units > 0 OR p.share_pct > 0))
           OR (NOT EXISTS (SELECT 1 FROM channel_pools p WHERE p.sku = s.sku)
               AND EXISTS (SELECT 1 FROM channels c
                           WHERE c.active AND c.default_share_pct > 0))
    );
END
$$;
"""
"""Whether any of `skus` is split into channel pools (`domain.channels.pooled`
in SQL; a test checks they agree). A function: its queries stay out of the
plan of the statement that asks (in the one-statement hold write, they made
PostgreSQL switch to a generic plan that cost the flash sale 25%)."""


def _no_rewrite(columns: str) -> str:
    return f"""
        DROP TRIGGER ledger_events_no_rewrite ON ledger_events;
        CREATE TRIGGER ledger_events_no_rewrite
            BEFORE UPDATE OF {columns} ON ledger_events
            FOR EACH ROW EXECUTE FUNCTION ledger_events_refuse();
    """


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        ALTER TABLE ledger_events ADD COLUMN channel text;
        """
        + _no_rewrite(_0004 + ", channel")
        + """
        ALTER TABLE reservations ADD COLUMN channel text;
        ALTER TABLE orders ADD COLUMN channel text;
        CREATE TABLE channel_stock (
            sku text NOT NULL REFERENCES skus (sku),
            channel text NOT NULL REFERENCES channels (id),
            outstanding bigint NOT NULL DEFAULT 0 CHECK (outstanding >= 0),
            PRIMARY KEY (sku, channel)
        );
        """
        + POOLED
    )


def downgrade() -> None:
    run_script(
        _no_rewrite(_0004)
        + """
        DROP FUNCTION stockd_pooled(text[]);
        DROP TABLE channel_stock;
        ALTER TABLE orders DROP COLUMN channel;
        ALTER TABLE reservations DROP COLUMN channel;
        ALTER TABLE ledger_events DROP COLUMN channel;
        """
    )
