"""Adapters: real implementations of the service ports (PostgreSQL) and fakes."""
