"""Typed settings, read from STOCKD_* environment variables (or a .env file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, Json, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STOCKD_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    home: Path = Path(".stockd")
    """Where the embedded PostgreSQL keeps its data."""
    database_url: str | None = None
    """PostgreSQL to use; without it `stockd serve` starts an embedded one."""
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: str = "info"

    bootstrap_admin_key: SecretStr | None = None
    """Make sure this admin key exists at start-up (for scripts and CI)."""

    reservation_default_ttl_seconds: int = Field(900, ge=1)
    reservation_max_ttl_seconds: int = Field(86_400, ge=1)
    default_strategy: Literal[
        "priority", "nearest", "fewest_shipments", "lowest_cost", "most_stock"
    ] = "priority"
    """Allocation strategy for requests that name none."""
    transfer_default_days: float = Field(7.0, gt=0, le=365)
    """When a transfer that names no `expected_at` is expected to arrive: this
    many days after it is sent (its ETA as inbound stock)."""
    group_commit_max_batch: int = Field(64, ge=1, le=1000)
    """Most reservations written in one transaction (1 turns group commit off)."""
    group_commit_wait_ms: float = Field(1.0, ge=0, le=100)
    """How long an idle batch waits for more requests before it is written."""
    group_commit_in_flight: int = Field(2, ge=1, le=16)
    """Batches one process writes at a time (more overlap; fewer, bigger batches)."""
    expiry_interval_seconds: float = Field(0.25, gt=0, le=60)
    """How often the expiry worker looks for holds past their deadline."""
    production_window_weeks: int = Field(8, ge=1, le=104)
    """How many weeks, from a made-to-order line's first week, a booking
    looks for one with room for the whole line."""
    idempotency_retention_hours: int = Field(24, ge=1)
    auth_cache_seconds: float = Field(5.0, ge=0)

    lock_timeout_ms: int = Field(10_000, ge=1, le=600_000)
    """How long a statement waits for a row lock before the request is
    answered 503 `busy` (PostgreSQL's lock_timeout)."""
    pool_min_size: int = Field(2, ge=1)
    pool_max_size: int = Field(20, ge=1)
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    page_limit_max: int = Field(1000, ge=1)

    rebalance_window_days: float = Field(7.0, gt=0, le=365)
    """Sales velocity is measured over this many days."""
    rebalance_threshold_pct: int = Field(15, ge=0, le=100)
    """Rebalance a SKU when a channel has less than this share of its pool free."""
    rebalance_max_move_pct: int = Field(10, ge=1, le=100)
    """Most percentage points one channel's share moves in one rebalancing."""
    rebalance_interval_seconds: float = Field(300.0, gt=0, le=86_400)
    """How often the rebalance worker looks."""

    report_window_seconds: float = Field(300.0, ge=0, le=7 * 86_400)
    """Stock reports observed within this long of a level's latest one
    conflict: the `priority` and `conservative` policies choose among them."""
    correction_max_age_hours: int = Field(168, ge=1, le=24 * 366)
    """How far back a count's `counted_at` or a report's `observed_at` may lie."""

    shutdown_grace_seconds: int = Field(5, ge=1, le=600)
    """On SIGTERM, how long requests still running may take to finish before
    they are cancelled (open event streams end then)."""
    stream_heartbeat_seconds: float = Field(15.0, gt=0, le=300)
    """`GET /v1/stream` sends a comment line after this long without events."""
    stream_send_timeout_seconds: float = Field(30.0, gt=0, le=600)
    """A stream client that takes no data for this long is cut off (it
    reconnects with Last-Event-ID)."""

    cache_ttl_seconds: float = Field(2.0, ge=0, le=3600)
    """How long a process keeps an availability answer (L1) when no event
    invalidates it sooner; 0 turns the read caches off."""
    cache_max_skus: int = Field(10_000, ge=1)
    """Most SKUs whose answers one process keeps (the oldest go first)."""
    redis_url: str | None = None
    """Redis for the cache every node shares (L2), e.g. redis://127.0.0.1:6379/0."""
    cache_l2_ttl_seconds: float = Field(30.0, gt=0, le=86_400)
    """How long Redis keeps an answer when no event invalidates it sooner."""
    cache_l2_timeout_seconds: float = Field(0.2, gt=0, le=10)
    """A Redis call slower than this counts as a failure: the read goes to
    the database, and Redis is tried again a second later."""
    cache_namespace: str = Field("stockd", min_length=1, max_length=100, pattern=r"^[\w.-]+$")
    """Prefix of stockd's Redis keys (several installations may share a Redis)."""

    webhooks_max_attempts: int = Field(8, ge=1, le=100)
    """Attempts per webhook message before it is dead-lettered."""
    webhooks_backoff_seconds: float = Field(5.0, gt=0, le=86_400)
    """Wait after the first failed attempt; doubled after each, with jitter."""
    webhooks_backoff_max_seconds: float = Field(3600.0, gt=0, le=604_800)
    """Longest wait between two attempts."""
    webhooks_timeout_seconds: float = Field(10.0, gt=0, le=300)
    """A receiver that has not answered by then has failed the attempt."""
    webhooks_coalesce_seconds: float = Field(1.0, ge=0, le=3600)
    """`availability.changed` waits this long for newer figures of its SKU."""
    webhooks_allow_private: bool = False
    """Allow webhook URLs on loopback, private and link-local addresses."""
    webhooks_interval_seconds: float = Field(0.25, gt=0, le=60)
    """How often the webhook worker looks for new events and due retries."""
    webhooks_secret_grace_hours: float = Field(24.0, ge=0, le=720)
    """After a secret rotation, how long the old secret still signs too."""

    nats_url: str | None = None
    """NATS server(s) for the event relay (`nats://host:4222`, comma-separated
    for a cluster); unset: no relay, and `stockd events tail` reads the ledger."""
    nats_stream: str = Field("STOCKD_EVENTS", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    """The JetStream stream the relay publishes to (created if missing)."""
    nats_retention: Literal["limits", "interest", "workqueue"] = "limits"
    """The stream's retention policy (used when the relay creates it)."""
    nats_max_age_hours: float = Field(168.0, ge=0)
    """How long the stream keeps a message; 0 keeps them forever."""
    nats_replicas: int = Field(1, ge=1, le=5)
    """Copies of the stream in a NATS cluster (used when the relay creates it)."""
    nats_duplicate_window_seconds: float = Field(120.0, gt=0, le=86_400)
    """JetStream drops a message whose `Nats-Msg-Id` (the seq) it saw this recently."""
    events_source: str = Field("/stockd", min_length=1, max_length=200)
    """The CloudEvents `source` of every event the relay publishes (a URI reference)."""

    channel_drift_grace_seconds: float = Field(60.0, ge=0, le=86_400)
    """A channel's figure that differs from stockd's for less long than this
    (since the first ledger change it has not been sent) is not drift yet:
    webhooks and feed polls need time to deliver it."""
    log_format: Literal["auto", "text", "json"] = "auto"
    """`text` (one readable line per record), `json` (one JSON object per
    line, with the request id) or `auto`: text on a terminal, else JSON."""
    reconcile_interval_seconds: float = Field(3600.0, gt=0, le=7 * 86_400)
    """How often the reconcile worker runs (a run starts when the latest one,
    by any node or `stockd reconcile`, started longer ago than this)."""
    reconcile_apply: bool = False
    """Whether the scheduled run repairs what it finds (else it only reports)."""
    reconcile_chunk_levels: int = Field(5000, ge=1, le=1_000_000)
    """About how many levels the reconciler compares per snapshot."""

    atp_default_days: int = Field(91, ge=1, le=3660)
    """`GET /v1/atp/{sku}` without `until` looks this many days ahead."""
    atp_max_days: int = Field(366, ge=1, le=3660)
    """The furthest `until` may lie ahead; promises look this far."""
    promise_handling_days: int = Field(1, ge=0, le=365)
    """Days from the day units are ready to the day they leave the location."""
    promise_transit_days: Json[dict[str, dict[str, Annotated[int, Field(ge=0, le=365)]]]] = Field(
        default_factory=dict, validate_default=False
    )
    """Transit days by the location's region, then the customer's: JSON such
    as `{"DE": {"DE": 1, "FR": 3}}`. Pairs it does not name go by distance."""
    promise_transit_km_per_day: float = Field(500.0, gt=0, le=100_000)
    """Transit by distance: great-circle kilometres a shipment covers a day."""
    promise_transit_min_days: int = Field(1, ge=0, le=365)
    """Transit by distance takes at least this many days."""
    promise_transit_default_days: int = Field(5, ge=0, le=365)
    """Transit from a location with neither a region entry nor coordinates."""
    promise_delivery_window_days: int = Field(2, ge=0, le=365)
    """The carrier's delivery window: days it may take beyond the transit."""
    promise_supplier_buffer_days: int = Field(7, ge=0, le=365)
    """Safety buffer for supply that depends on a supplier or a workshop
    (inbound, production)."""
    promise_on_hand_buffer_days: int = Field(0, ge=0, le=365)
    """Safety buffer for stock on hand."""

    @model_validator(mode="after")
    def _safe(self) -> Self:
        # Each message starts with the setting to change (the CLI prints it as is).
        if self.reservation_default_ttl_seconds > self.reservation_max_ttl_seconds:
            raise ValueError(
                "STOCKD_RESERVATION_DEFAULT_TTL_SECONDS: exceeds"
                f" STOCKD_RESERVATION_MAX_TTL_SECONDS ({self.reservation_max_ttl_seconds})"
            )
        if self.pool_min_size > self.pool_max_size:
            raise ValueError(
                f"STOCKD_POOL_MIN_SIZE: exceeds STOCKD_POOL_MAX_SIZE ({self.pool_max_size})"
            )
        if self.atp_default_days > self.atp_max_days:
            raise ValueError(
                f"STOCKD_ATP_DEFAULT_DAYS: exceeds STOCKD_ATP_MAX_DAYS ({self.atp_max_days})"
            )
        if self.env == "production":
            if not self.database_url:
                raise ValueError(
                    "STOCKD_ENV: production needs STOCKD_DATABASE_URL"
                    " (the embedded database is for development)"
                )
            key = self.bootstrap_admin_key
            if key is not None and len(key.get_secret_value()) < 32:
                raise ValueError(
                    "STOCKD_BOOTSTRAP_ADMIN_KEY: must be at least 32 characters in production"
                )
        return self
