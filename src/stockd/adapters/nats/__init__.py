"""NATS JetStream: where the relay publishes the ledger, and `events tail` reads it."""
