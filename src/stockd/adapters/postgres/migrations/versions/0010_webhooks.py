"""Webhooks: subscriptions, their cursors into the ledger, and the delivery log.

`webhooks` holds each subscription with its signing secret (and the previous
one during a rotation) and `cursor`: the ledger `seq` up to which its
deliveries are recorded. The outbox worker reads the ledger after the cursor,
records the deliveries the events call for in `webhook_deliveries` and moves
the cursor in the same transaction, so a crash replays from the cursor and
the unique `message_id` makes the replay a no-op. `webhook_figures` keeps,
per subscription and SKU, the last figure its `stock.*` and
`availability.changed` messages carried (the before of the next change).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        CREATE TABLE webhooks (
            id text PRIMARY KEY,
            url text NOT NULL,
            events text[] NOT NULL,
            channel text REFERENCES channels (id),
            skus text[],
            low_stock_threshold integer CHECK (low_stock_threshold > 0),
            description text,
            active boolean NOT NULL DEFAULT true,
            secret text NOT NULL,
            previous_secret text,
            previous_secret_until timestamptz,
            cursor bigint NOT NULL,
            version integer NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        );
        CREATE TABLE webhook_deliveries (
            id bigserial PRIMARY KEY,
            webhook_id text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
            message_id text NOT NULL,
            seq bigint NOT NULL,
            type text NOT NULL,
            sku text,
            payload json NOT NULL,
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'failed', 'delivered', 'dead')),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            last_attempt_at timestamptz,
            last_status integer,
            last_error text,
            last_response text,
            created_at timestamptz NOT NULL,
            delivered_at timestamptz,
            UNIQUE (webhook_id, message_id)
        );
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, id)
            WHERE status IN ('pending', 'failed');
        CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (webhook_id, status, id);
        CREATE TABLE webhook_figures (
            webhook_id text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
            sku text NOT NULL,
            figure bigint NOT NULL,
            seq bigint NOT NULL,
            PRIMARY KEY (webhook_id, sku)
        );
        """
    )


def downgrade() -> None:
    run_script(
        """
        DROP TABLE webhook_figures;
        DROP TABLE webhook_deliveries;
        DROP TABLE webhooks;
        """
    )
