"""What each sales channel was last sent, per SKU: the record channel drift
is measured against.

`channel_figures_sent` has one row per channel, SKU and receiver: `via` is
`webhook` (`endpoint` the webhook's id; written when a delivery of an
`availability.changed` message about the channel succeeds, in the same
statement that marks it delivered) or `feed` (`endpoint` ''; written, best
effort, when a page of the channel's availability feed is served). `figure`
is the advertised figure sent, `seq` the ledger event it accounts for (a
lower bound), `reference` the webhook message id or the feed page's next
cursor. A webhook's row keeps the figure of the highest `seq` delivered (a
replayed old message does not roll it back); a feed's row, the last served.
Deleting a webhook deletes its rows.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        CREATE TABLE channel_figures_sent (
            channel text NOT NULL REFERENCES channels (id),
            sku text NOT NULL,
            via text NOT NULL CHECK (via IN ('webhook', 'feed')),
            endpoint text NOT NULL,
            figure bigint NOT NULL,
            seq bigint NOT NULL,
            sent_at timestamptz NOT NULL,
            reference text,
            PRIMARY KEY (channel, sku, via, endpoint),
            CHECK ((via = 'feed') = (endpoint = ''))
        );
        """
    )


def downgrade() -> None:
    run_script("DROP TABLE channel_figures_sent;")
