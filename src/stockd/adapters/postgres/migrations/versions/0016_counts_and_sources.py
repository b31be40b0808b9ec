"""Physical counts, external stock reports and their sources.

- `report_sources`: who may report figures (a POS, a marketplace, a 3PL), with
  a priority and a conflict policy; `location_report_policies` overrides the
  policy at one location.
- `stock_reports`: every report line received, as received (duplicates are
  refused by the unique key and answered `ignored`).
- `count_lines`: every line of every physical count, with what the ledger
  expected at `counted_at` and the adjustment made.
- Corrections (counts and reports) are `stock.counted` events whose `data`
  holds `effective_at`; every other movement is effective at `at`. The
  partial index serves "the movements of on_hand at a level after a time".

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from stockd.adapters.postgres.migrate import run_script

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(
        """
        CREATE TABLE report_sources (
            id text PRIMARY KEY,
            priority integer NOT NULL,
            policy text NOT NULL
                CHECK (policy IN ('last_write_wins', 'priority', 'conservative')),
            created_at timestamptz NOT NULL
        );
        CREATE TABLE location_report_policies (
            location text PRIMARY KEY REFERENCES locations (id),
            policy text NOT NULL
                CHECK (policy IN ('last_write_wins', 'priority', 'conservative')),
            updated_at timestamptz NOT NULL
        );
        CREATE TABLE stock_reports (
            id bigserial PRIMARY KEY,
            source text NOT NULL REFERENCES report_sources (id),
            sku text NOT NULL,
            location text NOT NULL,
            quantity bigint NOT NULL CHECK (quantity >= 0),
            observed_at timestamptz NOT NULL,
            received_at timestamptz NOT NULL,
            outcome text NOT NULL CHECK (outcome IN ('applied', 'superseded')),
            why text NOT NULL,
            FOREIGN KEY (sku, location) REFERENCES levels (sku, location),
            CONSTRAINT stock_reports_once UNIQUE (source, sku, location, observed_at, quantity)
        );
        CREATE INDEX stock_reports_by_level ON stock_reports (sku, location, observed_at);
        CREATE TABLE count_lines (
            id bigserial PRIMARY KEY,
            count_id text NOT NULL,
            sku text NOT NULL,
            location text NOT NULL,
            counted_at timestamptz NOT NULL,
            counted bigint NOT NULL CHECK (counted >= 0),
            expected bigint NOT NULL,
            adjustment bigint NOT NULL,
            outcome text NOT NULL CHECK (outcome IN ('applied', 'superseded')),
            why text NOT NULL,
            source text,
            recorded_at timestamptz NOT NULL,
            FOREIGN KEY (sku, location) REFERENCES levels (sku, location)
        );
        CREATE INDEX count_lines_by_level ON count_lines (sku, location, counted_at);
        CREATE INDEX count_lines_by_count ON count_lines (count_id);
        -- Only movements of on_hand: holds (reserved, committed) never write
        -- to it, so a flash sale's inserts do not pay for it.
        CREATE INDEX ledger_events_on_hand_by_time ON ledger_events (sku, location, at)
            WHERE d_on_hand <> 0;
        """
    )


def downgrade() -> None:
    run_script(
        """
        DROP INDEX ledger_events_on_hand_by_time;
        DROP TABLE count_lines, stock_reports, location_report_policies, report_sources;
        """
    )
